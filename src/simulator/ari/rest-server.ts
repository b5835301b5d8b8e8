/**
 * The HTTP side of the simulated Asterisk (node:http): Basic or `api_key` authentication (401 "Authentication
 * required" otherwise), parameters from the query string and a JSON body, routing to the REST handlers, and the
 * upgrade of `/ari/events` to the events WebSocket. Responses carry Asterisk's headers
 * (`server: Asterisk/22.10.1`, `cache-control: no-cache, no-store`).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../observability/logger.js';
import type { Route, SimReply, SimRequest } from './rest-types.js';
import { SimHttpError } from './sim-core.js';

const SERVER_HEADER = 'Asterisk/22.10.1';
const MAX_BODY_BYTES = 1 << 20;

export interface AriHttpServerOptions {
  readonly username: string;
  readonly password: string;
  readonly routes: readonly Route[];
  readonly onEventsUpgrade: (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    apps: readonly string[],
    subscribeAll: boolean,
  ) => void;
  /** chan_websocket `/media/<connection_id>` upgrades (no ARI credentials needed, as in Asterisk). */
  readonly onMediaUpgrade?:
    | ((req: IncomingMessage, socket: Duplex, head: Buffer, connectionId: string) => void)
    | undefined;
  readonly logger?: Logger | undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function rawReply(socket: Duplex, status: number, text: string, body: unknown, extra = ''): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nServer: ${SERVER_HEADER}\r\n${extra}Content-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

export class AriHttpServer {
  readonly #options: AriHttpServerOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(options: AriHttpServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      void this.#handle(req, res);
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.#server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
  }

  /** Listens; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Stops listening and drops every connection (HTTP and upgraded). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
      this.#server.closeAllConnections();
    });
  }

  #authorized(req: IncomingMessage, url: URL): boolean {
    const expected = `${this.#options.username}:${this.#options.password}`;
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const given = Buffer.from(header.slice(6), 'base64').toString('utf8');
      if (sameSecret(given, expected)) return true;
    }
    const apiKey = url.searchParams.get('api_key');
    return apiKey !== null && sameSecret(apiKey, expected);
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://asterisk');
    const media = /^\/media\/([^/]+)$/.exec(url.pathname);
    if (media && this.#options.onMediaUpgrade) {
      this.#options.onMediaUpgrade(req, socket, head, decodeURIComponent(media[1] ?? ''));
      return;
    }
    if (url.pathname !== '/ari/events') {
      rawReply(socket, 404, 'Not Found', { message: 'Resource not found' });
      return;
    }
    if (!this.#authorized(req, url)) {
      rawReply(socket, 401, 'Unauthorized', { message: 'Authentication required' }, authenticateHeader());
      return;
    }
    const apps = (url.searchParams.get('app') ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a.length > 0);
    if (apps.length === 0) {
      rawReply(socket, 400, 'Bad Request', { message: 'Missing parameter app' });
      return;
    }
    const subscribeAll = ['true', 'yes', '1'].includes(url.searchParams.get('subscribeAll') ?? '');
    this.#options.onEventsUpgrade(req, socket, head, apps, subscribeAll);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://asterisk');
    let reply: SimReply;
    try {
      if (!url.pathname.startsWith('/ari/'))
        throw new SimHttpError(404, { message: 'Resource not found' }, 'Not Found');
      if (!this.#authorized(req, url)) {
        throw new SimHttpError(401, { message: 'Authentication required' }, 'Unauthorized');
      }
      const request = await this.#request(req, url);
      reply = await this.#route(request);
    } catch (err) {
      if (err instanceof SimHttpError) {
        reply = { status: err.status, body: err.body, ...(err.statusText ? { statusText: err.statusText } : {}) };
      } else {
        this.#options.logger?.error({ err }, 'simulated ARI handler failed');
        reply = { status: 500, body: { message: 'An internal error prevented this request from being handled' } };
      }
    }
    this.#write(res, reply);
    try {
      reply.after?.();
    } catch (err) {
      this.#options.logger?.error({ err }, 'simulated ARI follow-up failed');
    }
  }

  async #request(req: IncomingMessage, url: URL): Promise<SimRequest> {
    const params = new Map<string, string>();
    for (const [key, value] of url.searchParams) {
      if (key === 'api_key') continue;
      const prev = params.get(key);
      params.set(key, prev === undefined ? value : `${prev},${value}`);
    }
    let variables: Record<string, string> | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new SimHttpError(413, { message: 'Request body too large' });
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (text !== '') {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new SimHttpError(400, { message: 'Error parsing request body' });
      }
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
        for (const [key, value] of Object.entries(body)) {
          if (key === 'variables' && typeof value === 'object' && value !== null) {
            variables = {};
            for (const [name, v] of Object.entries(value)) {
              const raw = typeof v === 'object' && v !== null && 'value' in v ? (v as { value: unknown }).value : v;
              variables[name] = String(raw);
            }
          } else if (!params.has(key) && value !== null && typeof value !== 'object') {
            params.set(key, String(value));
          }
        }
      }
    }
    return { method: req.method ?? 'GET', path: url.pathname.slice(4), params, variables };
  }

  async #route(request: SimRequest): Promise<SimReply> {
    let pathMatched = false;
    for (const route of this.#options.routes) {
      const m = route.pattern.exec(request.path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== request.method) continue;
      const pathParams = m.slice(1).map((p) => decodeURIComponent(p ?? ''));
      return route.handler(request, pathParams);
    }
    if (pathMatched) throw new SimHttpError(405, { message: 'Invalid method' }, 'Method Not Allowed');
    throw new SimHttpError(404, { message: 'Resource not found' }, 'Not Found');
  }

  #write(res: ServerResponse, reply: SimReply): void {
    res.statusCode = reply.status;
    if (reply.statusText) res.statusMessage = reply.statusText;
    res.setHeader('server', SERVER_HEADER);
    res.setHeader('cache-control', 'no-cache, no-store');
    if (reply.status === 401) res.setHeader('www-authenticate', 'Basic realm="Asterisk REST Interface"');
    if (reply.body === undefined) {
      res.setHeader('content-length', '0');
      res.end();
      return;
    }
    const json = JSON.stringify(reply.body);
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', Buffer.byteLength(json));
    res.end(json);
  }
}

function authenticateHeader(): string {
  return 'WWW-Authenticate: Basic realm="Asterisk REST Interface"\r\n';
}
