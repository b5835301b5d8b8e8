import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TakeCriteria, WaitingCalls } from '../calls/agents/waiting-calls.js';
import type { Logger } from '../observability/logger.js';
import { bearerTokenOf, PendingAgentSockets, refuseUpgrade, takeWaitingCall } from './agent-connections.js';

/** Where agents connect to take a waiting call. */
export const AGENT_WEBRTC_PATH = '/v1/agent/webrtc';
/** Where the lab page is served (lab mode only). */
export const AGENT_WEBRTC_LAB_PATH = '/lab/webrtc-agent/';

/** The example browser agent shipped with the adapter. */
export const DEFAULT_LAB_PAGE_DIR = fileURLToPath(new URL('../../examples/webrtc-agent/', import.meta.url));

export interface AgentWebRtcEndpointOptions {
  readonly waitingCalls: WaitingCalls;
  /**
   * Decides whether a connection may take calls. `token` is the bearer token from `Authorization: Bearer …` or,
   * for browsers (which cannot set headers on a WebSocket), from the `access_token` query parameter.
   */
  readonly authenticate: (token: string | undefined, req: IncomingMessage) => boolean | Promise<boolean>;
  readonly path?: string;
  /** Serve the example browser agent (examples/webrtc-agent/) at `AGENT_WEBRTC_LAB_PATH`; off unless in lab mode. */
  readonly labPage?: { readonly dir?: string; readonly path?: string } | undefined;
  /** A waiting connection is pinged this often so proxies keep it open. Default 25 s. */
  readonly keepAliveMs?: number;
  readonly maxPayloadBytes?: number;
  readonly logger: Logger;
}

export interface AgentWebRtcEndpoint {
  /** For the server's `upgrade` event; returns false (and does nothing) for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** For plain HTTP requests: serves the lab page files; returns false for other paths. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Agent connections waiting for a call now. */
  readonly waitingConnections: number;
  /**
   * Closes every waiting connection (1001) and stops accepting; waits at most a second for the sockets, then
   * terminates the waiting ones. Connections that took a call are the call's. Idempotent.
   */
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The agent-facing WebSocket endpoint where a browser or a program takes a call that waits for an agent (WebRTC
 * routes without `url`, docs/agent-protocol.md §8). The upgrade is authenticated before the WebSocket exists (HTTP
 * 401 otherwise); the connection then waits — pinged, bounded by the registry — until a call matching its
 * `callId`/`route` query parameters waits, and from then on the call speaks the agent protocol on it. A request for
 * a `callId` that is not waiting is closed with 4404; a full waiting queue with 4429.
 */
export function createAgentWebRtcEndpoint(options: AgentWebRtcEndpointOptions): AgentWebRtcEndpoint {
  const path = options.path ?? AGENT_WEBRTC_PATH;
  const log = options.logger.child({ component: 'agent-webrtc-endpoint' });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: options.maxPayloadBytes ?? 1024 * 1024,
  });
  const pending = new PendingAgentSockets();
  const labPath = options.labPage ? (options.labPage.path ?? AGENT_WEBRTC_LAB_PATH) : undefined;
  const labDir = resolve(options.labPage?.dir ?? DEFAULT_LAB_PAGE_DIR);

  async function admit(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const token = bearerTokenOf(req, url);
    let ok = false;
    try {
      ok = await options.authenticate(token, req);
    } catch (err) {
      log.warn({ err }, 'agent authentication failed');
    }
    if (!ok || pending.closed) {
      if (pending.closed) refuseUpgrade(socket, 503, 'Service Unavailable', 'Service Unavailable');
      else refuseUpgrade(socket, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const criteria: TakeCriteria = {
      ...(url.searchParams.get('callId') ? { callId: url.searchParams.get('callId')! } : {}),
      ...(url.searchParams.get('route') ? { route: url.searchParams.get('route')! } : {}),
    };
    wss.handleUpgrade(req, socket, head, (ws) => void serve(ws, criteria));
  }

  async function serve(ws: WebSocket, criteria: TakeCriteria): Promise<void> {
    await takeWaitingCall(ws, criteria, {
      waitingCalls: options.waitingCalls,
      pending,
      keepAliveMs: options.keepAliveMs ?? 25_000,
      logger: log,
    });
  }

  async function serveFile(res: ServerResponse, name: string): Promise<void> {
    const file = normalize(join(labDir, name === '' ? 'index.html' : name));
    const type = CONTENT_TYPES[extname(file)];
    if (!file.startsWith(labDir) || type === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://adapter.invalid');
      if (url.pathname !== path) return false;
      socket.on('error', () => socket.destroy());
      admit(req, socket, head, url).catch((err: unknown) => {
        log.warn({ err }, 'agent upgrade failed');
        socket.destroy();
      });
      return true;
    },
    handleRequest(req, res) {
      if (labPath === undefined) return false;
      const url = new URL(req.url ?? '/', 'http://adapter.invalid');
      if (!url.pathname.startsWith(labPath) || req.method !== 'GET') return false;
      void serveFile(res, decodeURIComponent(url.pathname.slice(labPath.length)));
      return true;
    },
    get waitingConnections() {
      return pending.size;
    },
    close() {
      return pending.close(wss);
    },
  };
}

/**
 * Mounts the endpoint on a Node HTTP server (for fastify: `app.server`): its `upgrade` event for `path`. Serving
 * the lab page is left to the server's request handler, which calls `endpoint.handleRequest(req, res)`.
 */
export function mountAgentWebRtcEndpoint(server: Server, options: AgentWebRtcEndpointOptions): AgentWebRtcEndpoint {
  const endpoint = createAgentWebRtcEndpoint(options);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    endpoint.handleUpgrade(req, socket, head);
  });
  return endpoint;
}
