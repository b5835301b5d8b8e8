import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../observability/logger.js';
import type { ConsoleFeed, ConsoleMessage } from './console-feed.js';

/** Where the console's live feed is served. */
export const CONSOLE_WS_PATH = '/v1/console/ws';

/** Who a console token belongs to. */
export interface ConsolePrincipal {
  readonly name: string;
  /** `agent` tokens are refused: they only connect agents in. */
  readonly scope: 'read' | 'control' | 'agent';
}

export interface ConsoleSocketOptions {
  readonly feed: ConsoleFeed;
  /** Resolves a bearer token to its principal (scope `read` is enough to watch). */
  readonly authenticate: (token: string) => ConsolePrincipal | undefined;
  readonly logger: Logger;
  /** The first message must be `{"type":"auth","token":…}` within this time. Default 5 s. */
  readonly authTimeoutMs?: number;
  /** A console that lets this much pile up unsent is disconnected (1013). Default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** Pings keep proxies from closing an idle console. Default 25 s. */
  readonly keepAliveMs?: number;
}

export interface ConsoleSocket {
  /** For the server's `upgrade` event; returns false (and does nothing) for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  readonly connections: number;
  /** Closes every console connection (1001); idempotent. */
  close(): Promise<void>;
}

/**
 * The console's WebSocket. Browsers cannot set an `Authorization` header on a WebSocket and a token in the URL
 * ends up in proxy logs, so the token is the first message; until it is accepted the connection gets nothing.
 * Then `hello` carries the live calls and every later change follows as it happens (`ConsoleMessage`).
 * Close codes: 4401 bad or missing token, 4400 not an auth message, 1013 too slow a reader, 1001 shutdown.
 */
export function createConsoleSocket(o: ConsoleSocketOptions): ConsoleSocket {
  const log = o.logger.child({ component: 'console' });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
  const clients = new Set<WebSocket>();
  const maxBuffered = o.maxBufferedBytes ?? 4 * 1024 * 1024;
  let closed = false;

  function serve(ws: WebSocket): void {
    clients.add(ws);
    let unsubscribe: (() => void) | undefined;
    const authTimer = setTimeout(() => ws.close(4401, 'authentication required'), o.authTimeoutMs ?? 5000);
    const ping = setInterval(() => ws.ping(), o.keepAliveMs ?? 25_000);
    const send = (m: ConsoleMessage) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > maxBuffered) {
        log.warn('console too slow to read its feed: disconnected');
        ws.close(1013, 'too slow');
        return;
      }
      ws.send(JSON.stringify(m));
    };
    ws.on('message', (raw, isBinary) => {
      if (unsubscribe) return; // Consoles only listen once authenticated; control goes through the REST API.
      clearTimeout(authTimer);
      let msg: unknown;
      try {
        msg = isBinary ? undefined : JSON.parse(String(raw));
      } catch {
        msg = undefined;
      }
      const m = msg as { type?: unknown; token?: unknown } | undefined;
      if (m?.type !== 'auth' || typeof m.token !== 'string') {
        ws.close(4400, 'first message must be {"type":"auth","token":…}');
        return;
      }
      const principal = o.authenticate(m.token);
      if (!principal) {
        log.info('console refused: unknown token');
        ws.close(4401, 'unknown token');
        return;
      }
      if (principal.scope === 'agent') {
        log.info({ token: principal.name }, 'console refused: agent-scope token');
        ws.close(4403, "this token's scope is agent; read is needed");
        return;
      }
      log.info({ token: principal.name }, 'console connected');
      send({ type: 'hello', principal: principal.name, scope: principal.scope, calls: o.feed.snapshot() });
      unsubscribe = o.feed.subscribe(send);
    });
    const gone = () => {
      clearTimeout(authTimer);
      clearInterval(ping);
      unsubscribe?.();
      clients.delete(ws);
    };
    ws.on('close', gone);
    ws.on('error', gone);
  }

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://adapter.invalid');
      if (url.pathname !== CONSOLE_WS_PATH) return false;
      socket.on('error', () => socket.destroy());
      if (closed) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return true;
      }
      wss.handleUpgrade(req, socket, head, serve);
      return true;
    },
    get connections() {
      return clients.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const ws of clients) ws.close(1001, 'adapter shutting down');
      const deadline = setTimeout(() => {
        for (const ws of clients) ws.terminate();
      }, 1000);
      await new Promise<void>((done) => wss.close(() => done()));
      clearTimeout(deadline);
      for (const ws of clients) ws.terminate();
    },
  };
}
