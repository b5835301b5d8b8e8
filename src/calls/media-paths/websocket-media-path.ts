import { AppError } from '../../errors/app-error.js';
import type { ChanWebSocketConnection } from '../../transports/chan-websocket/chan-websocket-connection.js';
import { connectChanWebSocket } from '../../transports/chan-websocket/connect-chan-websocket.js';
import { ADD_CHANNEL_RETRY, addChannelWhenInStasis, whileLive } from '../ari-setup.js';
import { ChanWebSocketLeg, chanWebSocketAudioFormat } from '../chan-websocket-leg.js';
import type { CallSession } from '../call-session.js';
import type { MediaPathCall, MediaPathSetup } from '../media-path.js';
import type { MediaPathAri } from '../stasis-ari.js';
import type { WebSocketMediaOptions } from '../websocket-media-setup.js';

export interface WebSocketMediaPathOptions {
  readonly ari: MediaPathAri;
  readonly app: string;
  /** chan_websocket settings; without them calls on `media: websocket` routes fail with `MEDIA_PATH_UNAVAILABLE`. */
  readonly websocketMedia: WebSocketMediaOptions | undefined;
  /**
   * Puts the call's chan_websocket media on a media worker (MEDIA_WORKERS > 0, server connections only): attaches
   * its remote media and has the worker connect to `connectionId`. Unset, or false returned (a route whose calls
   * run in the primary): this process connects.
   */
  readonly placeWebSocketMedia?:
    | ((session: CallSession, connectionId: string, format: 'slin' | 'slin16') => boolean | undefined)
    | undefined;
  /**
   * Client connections (Asterisk connects to us) on a media worker: places the call's media on a worker before the
   * externalMedia channel is asked for and returns the dial string option (`v(…)`) that names the call in the URI
   * Asterisk connects to; the media listener hands that connection to the worker. Unset, or undefined returned (a
   * route whose calls run in the primary): this process takes it.
   */
  readonly placeClientWebSocketMedia?:
    | ((session: CallSession, format: 'slin' | 'slin16') => string | undefined)
    | undefined;
}

/** Resolves once the connection's MEDIA_START arrived (rejects when it closes first or `signal` aborts). */
export function waitForStart(conn: ChanWebSocketConnection, signal: AbortSignal): Promise<void> {
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

/** The chan_websocket media path of Stasis calls on `media: websocket` routes. */
export class WebSocketMediaPath implements MediaPathSetup {
  readonly media = 'websocket' as const;
  readonly #o: WebSocketMediaPathOptions;

  constructor(options: WebSocketMediaPathOptions) {
    this.#o = options;
  }

  /**
   * The chan_websocket media path of a Stasis call: externalMedia `transport=websocket encapsulation=none
   * connection_type=server transport_data=f(json)`, connect to `/media/<MEDIA_WEBSOCKET_CONNECTION_ID>` with
   * subprotocol `media`, add the channel to the bridge once its own StasisStart came (earlier gives 422), then attach
   * the leg to the call once MEDIA_START says the format.
   */
  async setUp(call: MediaPathCall): Promise<void> {
    const options = this.#o.websocketMedia;
    if (!options) {
      throw new AppError(`route ${call.session.info.route.name} needs chan_websocket, which is not configured`, {
        code: 'MEDIA_PATH_UNAVAILABLE',
        category: 'configuration',
      });
    }
    const { session, bridgeId } = call;
    const ari = this.#o.ari;
    const format = session.info.route.audioFormat === 'slin16' ? 'slin16' : 'slin';
    const live = whileLive(session);
    const abort = { signal: live.signal };
    try {
      const client = options.client;
      // Client mode on a media worker: the call is placed first, as Asterisk connects before it answers.
      const placeClient = client ? this.#o.placeClientWebSocketMedia : undefined;
      const uriOption = placeClient?.(session, format);
      const media = await ari.channels.externalMedia({
        app: this.#o.app,
        transport: 'websocket',
        encapsulation: 'none',
        connection_type: client ? 'client' : 'server',
        ...(client ? { external_host: client.id } : {}),
        format,
        transport_data: `f(${options.controlFormat})${uriOption ?? ''}`,
      });
      call.adopt(media.id);
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
      const inStasis = call.stasisStarted(media.id, signal());
      inStasis.catch(() => undefined);
      const place = client ? undefined : this.#o.placeWebSocketMedia;
      const onWorker = client ? uriOption !== undefined : !!place && place(session, connectionId, format) !== false;
      if (onWorker) {
        // The worker connects (or takes Asterisk's connection) and waits for MEDIA_START; the channel joins the
        // bridge from here.
        await inStasis;
        if (session.closing) return;
        await addChannelWhenInStasis(ari, bridgeId, media.id, { ...ADD_CHANNEL_RETRY, signal: abort.signal });
        session.record('media.requested', { bridge: bridgeId, mediaChannel: media.id, format, connectionId });
        return;
      }
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
        await addChannelWhenInStasis(ari, bridgeId, media.id, { ...ADD_CHANNEL_RETRY, signal: abort.signal });
        session.record('media.requested', { bridge: bridgeId, mediaChannel: media.id, format, connectionId });
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
}
