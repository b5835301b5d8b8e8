import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { TakeCriteria, WaitingCall, WaitingCalls } from '../calls/agents/waiting-calls.js';
import { isAppError } from '../errors/app-error.js';
import { settleWithin } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';

/**
 * What the agent-facing WebSocket endpoints (/v1/agent/webrtc, /v1/agents/ws) share: refusing an upgrade with an
 * HTTP status, reading the bearer token, waiting (pinged) for a call to take, and closing what still waits.
 */

/** How long closing waits for agent sockets to close before terminating the waiting ones. */
const CLOSE_WAIT_MS = 1000;

/** Answers an upgrade request with an HTTP error instead of a WebSocket; `text` is the whole body. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(
      body,
    )}\r\n\r\n${body}`,
  );
}

/**
 * The bearer token of an upgrade: `Authorization: Bearer …`, or the `access_token` query parameter for clients that
 * cannot set headers on a WebSocket (browsers).
 */
export function bearerTokenOf(req: IncomingMessage, url: URL): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  return bearer ?? url.searchParams.get('access_token') ?? undefined;
}

/** Why a connection could not take a call, as a WebSocket close code. */
export function takeCloseCode(code: string): number {
  return code === 'WAITING_CALL_NOT_FOUND' ? 4404 : code === 'AGENT_QUEUE_FULL' ? 4429 : 1011;
}

/** Agent connections an endpoint holds before they have a call (or a handler); closed together at shutdown. */
export class PendingAgentSockets {
  readonly #sockets = new Set<WebSocket>();
  #closing: Promise<void> | undefined;

  get size(): number {
    return this.#sockets.size;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  add(ws: WebSocket): void {
    this.#sockets.add(ws);
  }

  delete(ws: WebSocket): void {
    this.#sockets.delete(ws);
  }

  /** Closes every pending socket (1001) and the server; terminates the ones still open after a second. Idempotent. */
  close(wss: WebSocketServer): Promise<void> {
    this.#closing ??= (async () => {
      for (const ws of this.#sockets) ws.close(1001, 'adapter shutting down');
      const serverClosed = new Promise<void>((done) => wss.close(() => done()));
      if (!(await settleWithin(serverClosed, CLOSE_WAIT_MS))) for (const ws of this.#sockets) ws.terminate();
    })();
    return this.#closing;
  }
}

export interface TakeOptions {
  readonly waitingCalls: WaitingCalls;
  readonly pending: PendingAgentSockets;
  readonly keepAliveMs: number;
  readonly logger: Logger;
  /** Told why no call was taken (before the socket is closed with `takeCloseCode(code)`). */
  readonly onRefused?: (code: string, message: string) => void;
}

/**
 * Waits, pinging so proxies keep the connection open, until a waiting call matching `criteria` takes `ws`; from then
 * on the socket is the call's. Resolves with the call, or undefined when the connection went away or could not take
 * one (then it is closed: 4404 no such waiting call, 4429 too many waiting, 1011 otherwise).
 */
export async function takeWaitingCall(
  ws: WebSocket,
  criteria: TakeCriteria,
  o: TakeOptions,
): Promise<WaitingCall | undefined> {
  const abort = new AbortController();
  const onGone = (): void => abort.abort();
  ws.on('close', onGone);
  ws.on('error', onGone);
  o.pending.add(ws);
  const ping = setInterval(() => ws.ping(), o.keepAliveMs);
  o.logger.info({ criteria }, 'agent waiting for a call');
  try {
    const call = await o.waitingCalls.take(ws, criteria, abort.signal);
    o.logger.info({ callId: call.callId, route: call.route }, 'agent took a waiting call');
    return call;
  } catch (err) {
    if (abort.signal.aborted) return undefined;
    const code = isAppError(err) ? err.code : 'INTERNAL';
    o.logger.info({ code, criteria }, 'agent connection could not take a call');
    o.onRefused?.(code, err instanceof Error ? err.message : String(err));
    ws.close(takeCloseCode(code), code);
    return undefined;
  } finally {
    clearInterval(ping);
    o.pending.delete(ws);
    ws.off('close', onGone);
    ws.off('error', onGone);
  }
}
