import type { Logger } from '../../observability/logger.js';
import type { RealtimeClientEvent } from '../../protocols/realtime/client-events.js';
import { parseRealtimeServerEvent, type RealtimeKnownServerEvent } from '../../protocols/realtime/server-events.js';
import type { SessionEcho } from '../../protocols/realtime/session-wire.js';
import type { RetryPolicy } from '../../lib/retry-policy.js';
import { runWithReconnect } from '../../transports/agent-ws/reconnect-policy.js';
import type { RealtimeAuthScheme } from '../../transports/realtime/connect-realtime-socket.js';
import type { RealtimeSocket, RealtimeSocketClose } from '../../transports/realtime/realtime-socket.js';
import { openRealtimeSession } from './realtime-session-open.js';

export interface RealtimeConnectionOptions {
  /** Full URL, model included. */
  readonly url: string;
  readonly apiKey: string | undefined;
  readonly auth: RealtimeAuthScheme;
  readonly dialect: 'ga' | 'beta';
  readonly callId: string;
  /** The validated `session.update` body, the same for every session of the call. */
  readonly session: Record<string, unknown>;
  readonly connectTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly reconnect: RetryPolicy;
  readonly logger: Logger;
  /** Every known server event of the live session, parsed. */
  onEvent(event: RealtimeKnownServerEvent): void;
  /** The live session's connection was lost (not closed by this side). */
  onLost(close: RealtimeSocketClose): void;
}

/**
 * The WebSocket to the Realtime server for one call, one session at a time: `open()` connects and configures a
 * session under the reconnect policy (retryable failures are retried, a refused key or config is not), then
 * delivers the session's events until it is lost, abandoned or closed.
 */
export class RealtimeConnection {
  readonly #o: RealtimeConnectionOptions;
  #socket: RealtimeSocket | undefined;
  #closed = false;

  constructor(options: RealtimeConnectionOptions) {
    this.#o = options;
  }

  /** A session is open and configured. */
  get live(): boolean {
    return this.#socket?.isOpen ?? false;
  }

  /**
   * Opens and configures a session. `accept` sees what the server confirmed and throws (a non-retryable AppError)
   * to refuse it; `live` is called once the session is in place, just before its events start to flow. Resolves
   * after that (without calling `live` when the connection was closed meanwhile).
   */
  async open(signal: AbortSignal, accept: (echo: SessionEcho) => void, live: () => void): Promise<void> {
    const o = this.#o;
    const opened = await runWithReconnect(
      async () => {
        const session = await openRealtimeSession({
          url: o.url,
          apiKey: o.apiKey,
          auth: o.auth,
          dialect: o.dialect,
          callId: o.callId,
          session: o.session,
          connectTimeoutMs: o.connectTimeoutMs,
          sessionTimeoutMs: o.sessionTimeoutMs,
          signal,
          logger: o.logger,
        });
        try {
          accept(session.echo);
        } catch (err) {
          await session.socket.close(1000, 'session refused');
          throw err;
        }
        return session;
      },
      {
        policy: o.reconnect,
        signal,
        onRetry: (info) =>
          o.logger.warn(
            { attempt: info.attempt, delayMs: info.delayMs, code: (info.error as { code?: string }).code },
            'realtime session could not be opened; retrying',
          ),
      },
    );
    if (this.#closed) {
      await opened.socket.close(1000, 'call ended');
      return;
    }
    const socket = opened.socket;
    this.#socket = socket;
    socket.on('close', (info) => {
      if (socket === this.#socket && info.initiator !== 'client' && !this.#closed) this.#o.onLost(info);
    });
    socket.on('error', (err) => o.logger.debug({ err: err.toJSON() }, 'realtime socket error'));
    live();
    opened.takeOver((text) => this.#onText(socket, text));
  }

  send(event: RealtimeClientEvent): boolean {
    return this.#socket?.send(event) ?? false;
  }

  appendAudio(chunk: Buffer): boolean {
    return this.#socket?.appendAudio(chunk) ?? false;
  }

  /** Lets go of the current session (a reconnect follows): its events stop, its socket is closed. */
  abandon(reason: string): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) void socket.close(4000, reason);
  }

  /** Closes for good. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await socket.close(1000, 'call ended');
  }

  #onText(socket: RealtimeSocket, text: string): void {
    if (socket !== this.#socket || this.#closed) return;
    const parsed = parseRealtimeServerEvent(text);
    if (!parsed.ok) {
      this.#o.logger.warn({ code: parsed.code, detail: parsed.message }, 'realtime server sent an unreadable event');
      return;
    }
    if (parsed.event.type !== 'other') this.#o.onEvent(parsed.event);
  }
}
