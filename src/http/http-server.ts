import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { CallRegistry } from '../calls/call-registry.js';
import type { DB } from '../db/schema.js';
import type { CallControlClient } from '../jobs/call-control-client.js';
import { closeRedisClient, createRedisClient, type RedisConnection } from '../jobs/redis-connection.js';
import { onceAsync } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import type { AppMetrics } from '../observability/metrics.js';
import { audioSocketRouteBodySchema, audioSocketRouteParamsSchema } from './api-schemas.js';
import { registerCallRoutes } from './call-routes.js';
import type { OpenAiSipWebhookSettings } from '../calls/openai-sip-setup.js';
import { registerOpenAiSipWebhook } from './openai-sip-webhook.js';
import { memoryDeliveryIds, redisDeliveryIds, type WebhookDeliveryIds } from './webhook-delivery-ids.js';
import { registerConsole } from './console/register-console.js';
import { createAgentWebRtcEndpoint } from './agent-webrtc-endpoint.js';
import { type AgentsWsEndpointOptions, createAgentsWsEndpoint } from './agents-ws-endpoint.js';
import type { WaitingCalls } from '../calls/agents/waiting-calls.js';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpError, toErrorResponse, validationError } from './http-error.js';
import { IdempotencyStore } from './idempotency-store.js';
import { buildOpenApiDocument } from './openapi.js';
import { RateLimiter } from './rate-limiter.js';
import { checkReadiness } from './readiness.js';
import { type ApiToken, type Principal, scopeAllows, TokenAuthenticator } from './token-auth.js';

/** Where dialplan-direct UUIDs are pre-registered to routes. */
export interface AudioSocketRouteRegistry {
  routeExists(name: string): boolean;
  register(uuid: string, routeName: string, ttlMs: number): void;
  readonly defaultTtlMs: number;
}

export interface HttpServerOptions {
  config: {
    readonly host: string;
    readonly port: number;
    readonly tokens: readonly ApiToken[];
    readonly rateLimitPerMinute: number;
    readonly bodyLimitBytes: number;
  };
  logger: Logger;
  version?: string;
  /** The call-control client while the job layer runs. */
  control(): Pick<CallControlClient, 'execute'> | undefined;
  db(): Kysely<DB> | undefined;
  /** Redis of the job layer, for idempotency keys and readiness; absent when the job layer is off. */
  redis?: { connection: RedisConnection; prefix: string } | undefined;
  controlTimeoutMs?: number;
  accepting(): boolean;
  /** Absent when ARI is not configured. */
  ariConnected?: (() => boolean) | undefined;
  /** Routes the connected Asterisk cannot carry (name → why), reported by /readyz; absent without ARI. */
  refusedRoutes?: (() => ReadonlyMap<string, string>) | undefined;
  metrics: AppMetrics;
  audioSocketRoutes: AudioSocketRouteRegistry;
  /** The live calls, for the console (served at /console/ when given). */
  registry?: CallRegistry | undefined;
  /** Where agents take waiting WebRTC calls (/v1/agent/webrtc, control-scope tokens); `labPage` serves the browser agent. */
  agentWebRtc?: { waitingCalls: WaitingCalls; labPage: boolean } | undefined;
  /** Where agents connect in (/v1/agents/ws, `agent`-scope or one-time tokens): claim dial-in calls, `invite`. */
  agentsWs?: Omit<AgentsWsEndpointOptions, 'authenticate' | 'logger'> | undefined;
  /** The incoming-call webhook of openai-sip routes (served at /v1/openai/sip/webhook when given). */
  openaiSip?: OpenAiSipWebhookSettings | undefined;
}

/** The REST API, health and metrics server. */
export interface HttpServer {
  readonly fastify: FastifyInstance;
  /** Bound address after listen(). */
  readonly address: { host: string; port: number } | undefined;
  /** Opens the server's Redis client (idempotency keys, readiness) and readies the routes; listen() calls it. */
  ready(): Promise<void>;
  listen(): Promise<{ host: string; port: number }>;
  /** Stops accepting and closes open connections; idempotent. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Builds the fastify server with every route; nothing listens until `listen()`. */
export function createHttpServer(o: HttpServerOptions): HttpServer {
  const log = o.logger.child({ component: 'http' });
  const fastify = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: o.config.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  const auth = new TokenAuthenticator(o.config.tokens);
  const limiter = new RateLimiter({ perMinute: o.config.rateLimitPerMinute, maxKeys: 1000 });
  let redis: Redis | undefined;
  let idempotency: IdempotencyStore | undefined;
  let address: { host: string; port: number } | undefined;

  if (o.config.tokens.length === 0)
    log.warn(
      'API_TOKENS is not set: the REST API refuses every /v1 request (health, readiness and metrics still answer)',
    );

  fastify.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  fastify.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: body.error.code, status }, 'request refused');
    if (err instanceof HttpError && err.code === 'RATE_LIMITED' && err.details?.retryAfterSec)
      reply.header('retry-after', String(err.details.retryAfterSec));
    void reply.code(status).send(body);
  });
  fastify.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  const guard = (scope: 'read' | 'control') => async (req: FastifyRequest) => {
    const header = req.headers.authorization;
    const principal = auth.authenticate(header);
    if (!principal) {
      throw new HttpError(401, 'UNAUTHORIZED', header ? 'unknown bearer token' : 'missing bearer token', {
        category: 'authentication',
      });
    }
    req.principal = principal;
    req.log = req.log.child({ token: principal.name });
    const rate = limiter.take(principal.name);
    if (!rate.allowed) {
      throw new HttpError(429, 'RATE_LIMITED', 'rate limit exceeded for this token', {
        category: 'rate_limit',
        retryable: true,
        details: { retryAfterSec: rate.retryAfterSec },
      });
    }
    if (!scopeAllows(principal.scope, scope)) {
      throw new HttpError(403, 'FORBIDDEN', `this token's scope is ${principal.scope}; ${scope} is needed`, {
        category: 'authentication',
      });
    }
  };
  const principalOf = (req: FastifyRequest): Principal => {
    if (!req.principal) throw new Error('route without guard');
    return req.principal;
  };

  registerCallRoutes(fastify, {
    control: o.control,
    db: o.db,
    idempotency: () => idempotency,
    controlTimeoutMs: o.controlTimeoutMs ?? 10_000,
    guard,
    principalOf,
  });

  if (o.agentWebRtc) {
    const endpoint = createAgentWebRtcEndpoint({
      waitingCalls: o.agentWebRtc.waitingCalls,
      authenticate: (token) => {
        const principal = token ? auth.authenticate(`Bearer ${token}`) : undefined;
        return principal !== undefined && scopeAllows(principal.scope, 'control');
      },
      labPage: o.agentWebRtc.labPage ? {} : undefined,
      logger: log,
    });
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      endpoint.handleUpgrade(req, socket, head);
    };
    fastify.server.on('upgrade', onUpgrade);
    if (o.agentWebRtc.labPage) {
      fastify.get('/lab/webrtc-agent/*', (req, reply) => {
        reply.hijack();
        if (!endpoint.handleRequest(req.raw, reply.raw)) reply.raw.writeHead(404).end();
      });
    }
    fastify.addHook('preClose', async () => {
      fastify.server.off('upgrade', onUpgrade);
      await endpoint.close();
    });
  }

  if (o.agentsWs) {
    const endpoint = createAgentsWsEndpoint({
      ...o.agentsWs,
      authenticate: (token) => auth.authenticate(`Bearer ${token}`),
      logger: log,
    });
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => endpoint.handleUpgrade(req, socket, head);
    fastify.server.on('upgrade', onUpgrade);
    fastify.addHook('preClose', async () => {
      fastify.server.off('upgrade', onUpgrade);
      await endpoint.close();
    });
  }

  if (o.openaiSip) {
    const sip = o.openaiSip;
    const ttlMs = 2 * sip.toleranceS * 1000;
    let ids: WebhookDeliveryIds | undefined;
    const deliveryIds = () =>
      (ids ??= redis && o.redis ? redisDeliveryIds(redis, o.redis.prefix, ttlMs) : memoryDeliveryIds(ttlMs));
    registerOpenAiSipWebhook(fastify, { ...sip, deliveryIds, logger: log });
  }

  if (o.registry) {
    registerConsole(fastify, {
      registry: o.registry,
      db: o.db,
      authenticate: (token: string) => auth.authenticate(`Bearer ${token}`),
      guard,
      logger: log,
    });
  }

  fastify.put('/v1/audiosocket-routes/:uuid', { preHandler: guard('control') }, async (req, reply) => {
    const params = audioSocketRouteParamsSchema.safeParse(req.params);
    if (!params.success) throw validationError('params', params.error);
    const body = audioSocketRouteBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError('body', body.error);
    if (!o.audioSocketRoutes.routeExists(body.data.route)) {
      throw new HttpError(400, 'INVALID_REQUEST', `body.route: no route named "${body.data.route}"`, {
        category: 'invalid_request',
        field: 'body.route',
      });
    }
    const ttlMs = body.data.ttlSec !== undefined ? body.data.ttlSec * 1000 : o.audioSocketRoutes.defaultTtlMs;
    o.audioSocketRoutes.register(params.data.uuid, body.data.route, ttlMs);
    return reply
      .code(201)
      .send({ uuid: params.data.uuid.toLowerCase(), route: body.data.route, ttlSec: Math.round(ttlMs / 1000) });
  });

  const openapi = buildOpenApiDocument(o.version ?? '0.0.0');
  fastify.get('/v1/openapi.json', async () => openapi);
  fastify.get('/healthz', async () => ({ ok: true }));
  fastify.get('/readyz', async (_req, reply) => {
    const result = await checkReadiness({
      accepting: o.accepting,
      ariConnected: o.ariConnected,
      refusedRoutes: o.refusedRoutes,
      ...(o.redis ? { db: o.db, redis: () => redis } : {}),
    });
    return reply.code(result.ready ? 200 : 503).send(result);
  });
  fastify.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await o.metrics.render();
    return reply.header('content-type', contentType).send(body);
  });

  const ready = onceAsync(async () => {
    if (o.redis && !redis) {
      redis = createRedisClient(o.redis.connection, 'commands', undefined, 'ava-http');
      redis.on('error', () => undefined);
      idempotency = new IdempotencyStore({ redis, prefix: o.redis.prefix });
    }
    await fastify.ready();
  });

  const close = onceAsync(async () => {
    try {
      await fastify.close();
    } finally {
      if (redis) await closeRedisClient(redis);
    }
  });

  return {
    fastify,
    get address() {
      return address;
    },
    ready,
    async listen() {
      await ready();
      await fastify.listen({ host: o.config.host, port: o.config.port });
      const a = fastify.server.address();
      address = a && typeof a === 'object' ? { host: a.address, port: a.port } : { host: o.config.host, port: 0 };
      log.info(address, 'HTTP API listening');
      return address;
    },
    close,
  };
}
