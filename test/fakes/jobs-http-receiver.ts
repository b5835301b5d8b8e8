import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkWebhookSignature, type SignatureCheck } from '../../src/jobs/webhook-signature.js';

/** One request the receiver got. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: unknown;
  signature: SignatureCheck;
}

/** What to answer: a status and body, or `hang` to never answer (the request stays open until `close`). */
export type ReceiverReply = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

export type ReceiverHandler = (req: ReceivedRequest, hitNumber: number) => ReceiverReply | Promise<ReceiverReply>;

/**
 * An HTTP endpoint on 127.0.0.1:<random port> standing in for webhook receivers and HTTP tools: records every
 * request with its signature check (against `secret`), counts hits per path, and answers as the handler says.
 */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly #server: Server;
  readonly #secret: string;
  #handler: ReceiverHandler;
  readonly #waiters = new Set<() => void>();
  readonly #hanging = new Set<ServerResponse>();

  private constructor(secret: string, handler: ReceiverHandler) {
    this.#secret = secret;
    this.#handler = handler;
    this.#server = createServer((req, res) => {
      this.#onRequest(req, res).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
  }

  static async start(secret: string, handler: ReceiverHandler = () => ({ status: 200, body: { ok: true } })) {
    const r = new HttpReceiver(secret, handler);
    await new Promise<void>((resolve) => r.#server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  setHandler(handler: ReceiverHandler): void {
    this.#handler = handler;
  }

  hits(path?: string): number {
    return path === undefined ? this.requests.length : this.requests.filter((r) => r.path === path).length;
  }

  /** Resolves when `predicate` holds over the requests so far (checked on every new request). */
  async waitFor(predicate: (requests: readonly ReceivedRequest[]) => boolean, timeoutMs = 20_000): Promise<void> {
    if (predicate(this.requests)) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.requests)) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${this.requests.length} requests)`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown = null;
    try {
      json = JSON.parse(body);
    } catch {
      json = null;
    }
    const header = req.headers['x-ava-signature'];
    const received: ReceivedRequest = {
      path: req.url ?? '/',
      headers: req.headers,
      body,
      json,
      signature: checkWebhookSignature(this.#secret, typeof header === 'string' ? header : undefined, body, 300),
    };
    this.requests.push(received);
    const hit = this.requests.filter((r) => r.path === received.path).length;
    for (const w of [...this.#waiters]) w();
    const reply = await this.#handler(received, hit);
    if (reply === 'hang') {
      this.#hanging.add(res);
      return;
    }
    res.statusCode = reply.status;
    res.setHeader('content-type', 'application/json');
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
