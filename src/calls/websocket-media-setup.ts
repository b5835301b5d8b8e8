import { AppError } from '../errors/app-error.js';
import type { ControlFormat } from '../protocols/chan-websocket/index.js';
import type { ChanWebSocketConnection } from '../transports/chan-websocket/chan-websocket-connection.js';
import type { ChanWebSocketPacing } from './chan-websocket-leg.js';

/** How Stasis calls on `media: websocket` routes reach Asterisk's chan_websocket. */
export interface WebSocketMediaOptions {
  /** Asterisk's HTTP server (the ARI base URL); the media socket is `ws(s)://<host>/media/<connection_id>`. */
  readonly asteriskHttpUrl: string;
  readonly pacing: ChanWebSocketPacing;
  readonly leadMs: number;
  readonly controlFormat: ControlFormat;
  /** Upper bound for the media socket's connect, the channel's StasisStart and MEDIA_START each. */
  readonly timeoutMs: number;
  /** Asterisk connects to us (`connection_type=client`) through this `websocket_client.conf` entry. */
  readonly client?: { readonly id: string; readonly incoming: IncomingMediaSockets } | undefined;
}

/**
 * Media connections Asterisk opened to us (connection type `client`), matched to the media channel by the
 * `channel_id` of their MEDIA_START. A connection nobody claims within `unclaimedMs` is closed.
 */
export class IncomingMediaSockets {
  readonly #waiters = new Map<string, (conn: ChanWebSocketConnection) => void>();
  readonly #unclaimed = new Map<string, { conn: ChanWebSocketConnection; timer: NodeJS.Timeout }>();
  readonly #unclaimedMs: number;

  constructor(unclaimedMs = 10_000) {
    this.#unclaimedMs = unclaimedMs;
  }

  /** A connection whose MEDIA_START arrived. */
  accept(conn: ChanWebSocketConnection): void {
    const channelId = conn.mediaStart?.channel_id;
    if (!channelId) {
      void conn.close(1008).catch(() => undefined);
      return;
    }
    const waiter = this.#waiters.get(channelId);
    if (waiter) {
      this.#waiters.delete(channelId);
      waiter(conn);
      return;
    }
    const timer = setTimeout(() => {
      this.#unclaimed.delete(channelId);
      void conn.close(1008).catch(() => undefined);
    }, this.#unclaimedMs);
    timer.unref();
    this.#unclaimed.set(channelId, { conn, timer });
  }

  /** The connection of media channel `channelId`, once it has connected. */
  wait(channelId: string, signal: AbortSignal): Promise<ChanWebSocketConnection> {
    const early = this.#unclaimed.get(channelId);
    if (early) {
      clearTimeout(early.timer);
      this.#unclaimed.delete(channelId);
      return Promise.resolve(early.conn);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(channelId);
        reject(
          new AppError('Asterisk did not connect the media WebSocket', {
            code: 'CHAN_WEBSOCKET_NO_CONNECTION',
            category: 'timeout',
          }),
        );
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(channelId, (conn) => {
        signal.removeEventListener('abort', onAbort);
        resolve(conn);
      });
    });
  }

  /** Closes unclaimed connections (each within its own bound). Idempotent. */
  async close(): Promise<void> {
    const closing = [...this.#unclaimed.values()].map(({ conn, timer }) => {
      clearTimeout(timer);
      return conn.close(1001);
    });
    this.#unclaimed.clear();
    await Promise.all(closing);
  }
}
