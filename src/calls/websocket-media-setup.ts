import type { Route } from '../config/routes.js';
import { AppError } from '../errors/app-error.js';
import type { ControlFormat } from '../protocols/chan-websocket/index.js';
import type { AriClient } from '../transports/ari/ari-client.js';
import type { ChanWebSocketConnection } from '../transports/chan-websocket/chan-websocket-connection.js';
import { connectChanWebSocket } from '../transports/chan-websocket/connect-chan-websocket.js';
import { ADD_CHANNEL_RETRY, addChannelWhenInStasis, whileLive } from './ari-setup.js';
import type { CallSession } from './call-session.js';
import { ChanWebSocketLeg, type ChanWebSocketPacing, chanWebSocketAudioFormat } from './chan-websocket-leg.js';

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

export interface WebSocketMediaSetup {
  readonly ari: AriClient;
  readonly app: string;
  readonly session: CallSession;
  readonly bridgeId: string;
  readonly route: Route;
  readonly options: WebSocketMediaOptions;
  /** Records the media channel as the call's own (events, release). */
  readonly adopt: (mediaChannelId: string) => void;
  /** Resolves when the channel's StasisStart arrives (register before it can happen). */
  readonly stasisStarted: (channelId: string, signal: AbortSignal) => Promise<void>;
}

function waitForStart(conn: ChanWebSocketConnection, signal: AbortSignal): Promise<void> {
  if (conn.mediaStart) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      conn.off('start', onStart);
      conn.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onStart = () => done();
    const onClose = () =>
      done(
        new AppError('media WebSocket closed before MEDIA_START', {
          code: 'CHAN_WEBSOCKET_NO_START',
          category: 'protocol',
        }),
      );
    const onAbort = () =>
      done(new AppError('no MEDIA_START in time', { code: 'CHAN_WEBSOCKET_NO_START', category: 'timeout' }));
    conn.on('start', onStart);
    conn.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The chan_websocket media path of a Stasis call: externalMedia `transport=websocket encapsulation=none
 * connection_type=server transport_data=f(json)`, connect to `/media/<MEDIA_WEBSOCKET_CONNECTION_ID>` with
 * subprotocol `media`, add the channel to the bridge once its own StasisStart came (earlier gives 422), then attach
 * the leg to the call once MEDIA_START says the format.
 */
export async function setUpWebSocketMedia(s: WebSocketMediaSetup): Promise<void> {
  const { ari, session, options } = s;
  const format = s.route.audioFormat === 'slin16' ? 'slin16' : 'slin';
  const live = whileLive(session);
  const abort = { signal: live.signal };
  try {
    const client = options.client;
    const media = await ari.channels.externalMedia({
      app: s.app,
      transport: 'websocket',
      encapsulation: 'none',
      connection_type: client ? 'client' : 'server',
      ...(client ? { external_host: client.id } : {}),
      format,
      transport_data: `f(${options.controlFormat})`,
    });
    s.adopt(media.id);
    const connectionId = client ? client.id : media.channelvars?.MEDIA_WEBSOCKET_CONNECTION_ID;
    if (!connectionId) {
      throw new AppError('externalMedia answer has no MEDIA_WEBSOCKET_CONNECTION_ID', {
        code: 'CHAN_WEBSOCKET_NO_CONNECTION_ID',
        category: 'protocol',
        details: { channel: media.id },
      });
    }
    if (session.closing) return;
    const signal = () => AbortSignal.any([abort.signal, AbortSignal.timeout(options.timeoutMs)]);
    const inStasis = s.stasisStarted(media.id, signal());
    inStasis.catch(() => undefined);
    const conn = client
      ? await client.incoming.wait(media.id, signal())
      : await connectChanWebSocket({
          asteriskHttpUrl: options.asteriskHttpUrl,
          connectionId,
          controlFormat: options.controlFormat,
          connectTimeoutMs: options.timeoutMs,
          signal: abort.signal,
          logger: session.log.child({ component: 'chan-websocket' }),
        });
    const leg = new ChanWebSocketLeg({
      id: connectionId,
      connection: conn,
      expectedFormat: chanWebSocketAudioFormat(format) ?? { encoding: 'pcm16', sampleRate: 8000 },
      pacing: options.pacing,
      leadMs: options.leadMs,
      logger: session.log.child({ component: 'chan-websocket' }),
    });
    try {
      await inStasis;
      if (session.closing) return leg.close();
      await addChannelWhenInStasis(ari, s.bridgeId, media.id, { ...ADD_CHANNEL_RETRY, signal: abort.signal });
      session.record('media.requested', { bridge: s.bridgeId, mediaChannel: media.id, format, connectionId });
      await waitForStart(conn, signal());
    } catch (err) {
      await leg.close();
      throw err;
    }
    if (session.closing) return leg.close();
    const start = conn.mediaStart;
    session.log.info(
      { connectionId, format: start?.format, frameBytes: start?.optimal_frame_size, pacing: options.pacing },
      'chan_websocket media connected',
    );
    session.attachLeg(leg).catch((err: unknown) => session.log.error({ err }, 'attaching media failed'));
  } finally {
    live.dispose();
  }
}
