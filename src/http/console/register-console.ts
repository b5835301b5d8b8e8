import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { CallRegistry } from '../../calls/call-registry.js';
import { CallEventsRepository } from '../../db/call-events-repository.js';
import { CallsRepository } from '../../db/calls-repository.js';
import type { DB } from '../../db/schema.js';
import { ToolCallsRepository } from '../../db/tool-calls-repository.js';
import { TranscriptsRepository } from '../../db/transcripts-repository.js';
import type { Logger } from '../../observability/logger.js';
import { ConsoleFeed } from './console-feed.js';
import { parseHistoryQuery, searchCallHistory } from './console-history.js';
import { type ConsolePrincipal, type ConsoleSocket, createConsoleSocket } from './console-socket.js';

/** Where the console page is served. */
export const CONSOLE_PATH = '/console/';
/** sip.js (the web phone's SIP stack) is served from node_modules under this path; no CDN. */
export const CONSOLE_SIPJS_PATH = '/console/vendor/sip.js/';

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
const SIPJS_DIR = dirname(createRequire(import.meta.url).resolve('sip.js'));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The page loads only its own files; it may talk to this server and to a SIP WebSocket anywhere. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; " +
    "connect-src 'self' ws: wss:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface ConsoleDeps {
  /** The live calls of this instance. */
  readonly registry: CallRegistry;
  /** The database while the job layer runs (history); undefined without MYSQL_URL. */
  readonly db: () => Kysely<DB> | undefined;
  /** Resolves a bearer token to its principal (the REST API's tokens: `read` watches, `control` acts). */
  readonly authenticate: (token: string) => ConsolePrincipal | undefined;
  /**
   * The host's guard for the console's REST reads (authentication, scope, rate limit), e.g. the REST server's
   * `guard`. Default: `authenticate` on the `Authorization: Bearer` header, 401/403 otherwise.
   */
  readonly guard?: ((scope: 'read' | 'control') => (req: FastifyRequest) => Promise<void>) | undefined;
  readonly logger: Logger;
}

export interface ConsoleHandle {
  readonly feed: ConsoleFeed;
  readonly socket: ConsoleSocket;
}

function refuse(reply: FastifyReply, status: 401 | 403 | 404 | 503, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

/**
 * Mounts the console on a fastify instance (before it is ready): the page and its files under `/console/`,
 * `/favicon.ico` (204),
 * sip.js for the web phone, `GET /v1/console/history` (search), `GET /v1/console/calls/:id` (a recorded call with
 * its events, transcript and tool calls), and the live feed WebSocket `/v1/console/ws`. Hang-up and transfer go
 * through the REST control routes (`POST /v1/calls/:id/hangup|transfer`), which the host serves. The feed and the
 * sockets close with the fastify instance.
 */
export function registerConsole(fastify: FastifyInstance, deps: ConsoleDeps): ConsoleHandle {
  const feed = new ConsoleFeed(deps.registry);
  const socket = createConsoleSocket({ feed, authenticate: deps.authenticate, logger: deps.logger });
  const staticFiles = new Set(readdirSync(STATIC_DIR).filter((f) => CONTENT_TYPES[extname(f)] !== undefined));

  const defaultGuard = (scope: 'read' | 'control') => async (req: FastifyRequest, reply: FastifyReply) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const principal = token ? deps.authenticate(token) : undefined;
    if (!principal) return refuse(reply, 401, 'UNAUTHORIZED', token ? 'unknown bearer token' : 'missing bearer token');
    if (principal.scope === 'agent' || (scope === 'control' && principal.scope !== 'control'))
      return refuse(reply, 403, 'FORBIDDEN', `this token's scope is ${principal.scope}; ${scope} is needed`);
  };
  const guard = deps.guard ?? defaultGuard;
  const needDb = (reply: FastifyReply): Kysely<DB> | undefined => {
    const db = deps.db();
    if (!db) refuse(reply, 503, 'JOB_LAYER_DISABLED', 'call history needs MYSQL_URL and REDIS_URL');
    return db;
  };

  async function sendFile(reply: FastifyReply, dir: string, name: string): Promise<FastifyReply> {
    const file = normalize(join(dir, name));
    const type = CONTENT_TYPES[extname(file)];
    if (!file.startsWith(dir) || type === undefined) return refuse(reply, 404, 'NOT_FOUND', 'no such file');
    try {
      const body = await readFile(file);
      return reply.headers({ ...PAGE_HEADERS, 'content-type': type }).send(body);
    } catch {
      return refuse(reply, 404, 'NOT_FOUND', 'no such file');
    }
  }

  fastify.get('/console', async (_req, reply) => reply.redirect(CONSOLE_PATH));
  // Browsers ask for it whatever the page says; there is no icon, and no error either.
  fastify.get('/favicon.ico', async (_req, reply) => reply.code(204).header('cache-control', 'max-age=86400').send());
  fastify.get(CONSOLE_PATH, async (_req, reply) => sendFile(reply, STATIC_DIR, 'index.html'));
  fastify.get<{ Params: { file: string } }>(`${CONSOLE_PATH}:file`, async (req, reply) => {
    if (!staticFiles.has(req.params.file)) return refuse(reply, 404, 'NOT_FOUND', 'no such file');
    return sendFile(reply, STATIC_DIR, req.params.file);
  });
  fastify.get<{ Params: { '*': string } }>(`${CONSOLE_SIPJS_PATH}*`, async (req, reply) =>
    sendFile(reply, SIPJS_DIR, req.params['*']),
  );

  fastify.get('/v1/console/history', { preHandler: guard('read') }, async (req, reply) => {
    const db = needDb(reply);
    if (!db) return reply;
    return { items: await searchCallHistory(db, parseHistoryQuery(req.query)) };
  });

  fastify.get<{ Params: { id: string } }>(
    '/v1/console/calls/:id',
    { preHandler: guard('read') },
    async (req, reply) => {
      const db = needDb(reply);
      if (!db) return reply;
      const id = req.params.id;
      const call = id.length <= 64 ? await new CallsRepository(db).get(id) : undefined;
      if (!call) return refuse(reply, 404, 'CALL_NOT_FOUND', 'no such call');
      const [events, transcript, toolCalls] = await Promise.all([
        new CallEventsRepository(db).listByCall(id, { limit: 500 }),
        new TranscriptsRepository(db).listByCall(id, { limit: 500 }),
        new ToolCallsRepository(db).listByCall(id),
      ]);
      return { call, events, transcript, toolCalls };
    },
  );

  const onUpgrade = (req: IncomingMessage, s: Duplex, head: Buffer) => {
    socket.handleUpgrade(req, s, head);
  };
  fastify.server.on('upgrade', onUpgrade);
  fastify.addHook('preClose', async () => {
    fastify.server.off('upgrade', onUpgrade);
    await socket.close();
    await feed.close();
  });
  return { feed, socket };
}
