import type { ClientRequest, IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { Logger } from '../observability/logger.js';

/** How one kind of peer names what can go wrong while opening its WebSocket. */
export interface WebSocketOpenErrors {
  /** The URL is not ws:// or wss:// (or not a URL). */
  invalidUrl(cause?: unknown): Error;
  /** A socket-level failure before the upgrade completed (refused, DNS, reset, TLS…). */
  socket(err: unknown): Error;
  /** A non-101 answer to the upgrade, with up to `errorBodyBytes` of its body. */
  upgradeRefused(status: number, body: string): Error;
  /** No completed handshake within the connect timeout. */
  timeout(): Error;
  /** The caller's signal fired. */
  aborted(reason: unknown): Error;
}

export interface OpenWebSocketOptions<T> {
  readonly url: string;
  readonly protocols?: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  /** Largest frame accepted from the peer. */
  readonly maxPayload: number;
  /** Upper bound for TCP connect + TLS + HTTP upgrade. */
  readonly connectTimeoutMs: number;
  readonly signal: AbortSignal;
  readonly errors: WebSocketOpenErrors;
  /** Most bytes of a refused upgrade's body read for `upgradeRefused`; 0 (default) reads none. */
  readonly errorBodyBytes?: number;
  /** Where a failed attempt is logged (debug). */
  readonly log: Logger;
  /**
   * Wraps the open socket, synchronously in its `open` event: frames the peer sent right behind its upgrade
   * answer are emitted at once, so whatever listens to them must be attached before the event returns.
   */
  readonly wrap: (ws: WebSocket) => T;
}

/**
 * Opens a client WebSocket and resolves with it, wrapped, once the upgrade succeeded, or rejects with the error
 * the peer kind's `errors` make of the failure. Redirects are not followed; compression is off (the payload is
 * mostly audio). After a failure the half-open socket is terminated and its late errors are swallowed.
 */
export function openWebSocket<T>(o: OpenWebSocketOptions<T>): Promise<T> {
  const { url, signal, errors } = o;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    return Promise.reject(errors.invalidUrl(err));
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') return Promise.reject(errors.invalidUrl());
  if (signal.aborted) return Promise.reject(errors.aborted(signal.reason));

  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, [...(o.protocols ?? [])], {
        headers: { ...o.headers },
        perMessageDeflate: false,
        followRedirects: false,
        maxPayload: o.maxPayload,
      });
    } catch (err) {
      reject(errors.socket(err));
      return;
    }
    let settled = false;

    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      ws.on('error', () => {});
      ws.terminate();
      const { code, status } = error as { code?: string; status?: number };
      o.log.debug({ code, status }, 'WebSocket connect failed');
      reject(error);
    };
    const onOpen = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      try {
        resolve(o.wrap(ws));
      } catch (err) {
        ws.terminate();
        reject(err);
      }
    };
    const onError = (err: Error): void => fail(errors.socket(err));
    const onUnexpectedResponse = (_req: ClientRequest, res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      const max = o.errorBodyBytes ?? 0;
      if (max === 0) {
        res.resume();
        fail(errors.upgradeRefused(status, ''));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (): void => fail(errors.upgradeRefused(status, Buffer.concat(chunks).toString('utf8')));
      res.on('data', (chunk: Buffer) => {
        if (size < max) chunks.push(chunk.subarray(0, max - size));
        size += chunk.length;
      });
      res.on('end', finish);
      res.on('error', finish);
      res.on('close', finish);
    };
    const onAbort = (): void => fail(errors.aborted(signal.reason));
    const timer = setTimeout(() => fail(errors.timeout()), o.connectTimeoutMs);

    function cleanup(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      ws.off('open', onOpen);
      ws.off('error', onError);
      ws.off('unexpected-response', onUnexpectedResponse);
    }

    ws.on('open', onOpen);
    ws.on('error', onError);
    ws.on('unexpected-response', onUnexpectedResponse);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
