/**
 * The `/media/<connection_id>` endpoint of the simulated Asterisk (chan_websocket incoming connections): an unknown
 * id gets HTTP 404, a second connection for the same id 409, otherwise 101 with subprotocol `media`. Once connected,
 * MEDIA_START is sent, the channel enters Stasis, and one shared 20 ms clock drives every connection's playout.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { MediaClock } from '../../audio/media-clock.js';
import { onceAsync, settleWithin } from '../../lib/once.js';
import {
  CHAN_WEBSOCKET_QUEUE_MAX_FRAMES,
  CHAN_WEBSOCKET_XOFF_LEVEL,
  CHAN_WEBSOCKET_XON_LEVEL,
  type ControlFormat,
} from '../../protocols/chan-websocket/index.js';
import { SimChanWebSocket, type SimChanWebSocketLimits } from './sim-chan-websocket.js';
import type { SimChannel } from './sim-model.js';

export interface ChanWebSocketServerOptions extends Partial<SimChanWebSocketLimits> {
  /** Caller frames sent before MEDIA_START on every connection (asterisk#1712). Default 0. */
  readonly earlyAudioFrames?: number;
  /** Keep arrival times of the application's audio messages (benchmarks). Default false. */
  readonly recordArrivals?: boolean;
  /** Receives every media connection once open (tests read `played`, `commands` from it). */
  readonly onConnection?: (conn: SimChanWebSocket) => void;
  /** `websocket_client.conf` entries by connection id, for externalMedia `connection_type=client`. */
  readonly clients?: Readonly<Record<string, WebSocketClientConfig>>;
}

/** One `websocket_client.conf` entry: where Asterisk connects and the credentials it sends. */
export interface WebSocketClientConfig {
  readonly uri: string;
  readonly username?: string;
  readonly password?: string;
}

export interface PendingMediaSocket {
  readonly connectionId: string;
  readonly channel: SimChannel;
  readonly format: string;
  readonly frameBytes: number;
  readonly controlFormat: ControlFormat;
  /**
   * The dial string's `v(name=value,…)` parameters: added to the `websocket_client.conf` entry's URI as its query
   * (connection type `client`), as Asterisk does.
   */
  readonly uriParams?: string | undefined;
  /** Puts the channel Up and into Stasis (Dial ANSWER, StasisStart). */
  readonly complete: () => void;
  /** Hangs the channel up when the application ends the media connection. */
  readonly hangup: (why: string) => void;
}

/** How long `close()` waits for hung-up media connections to close their sockets. */
const CLOSE_WAIT_MS = 2000;

function rawReply(socket: Duplex, status: number, text: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nServer: Asterisk/22.10.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
  );
}

export class ChanWebSocketServer {
  readonly #o: ChanWebSocketServerOptions;
  readonly #wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 1 << 20,
    handleProtocols: (protocols) => (protocols.has('media') ? 'media' : false),
  });
  readonly #pending = new Map<string, PendingMediaSocket>();
  /** Live media connections, with their connection id (client mode: every call's is the websocket_client.conf id). */
  readonly #connected = new Map<SimChanWebSocket, string>();
  readonly #all: SimChanWebSocket[] = [];
  #clock: MediaClock | undefined;

  constructor(options: ChanWebSocketServerOptions = {}) {
    this.#o = options;
  }

  /** Media connections made so far, in order. */
  get connections(): readonly SimChanWebSocket[] {
    return this.#all;
  }

  /** An externalMedia `connection_type=server` channel now waits for its connection. */
  register(entry: PendingMediaSocket): void {
    this.#pending.set(entry.connectionId, entry);
  }

  /** Forgets a channel's connection id (channel ended before it connected). */
  forget(connectionId: string): void {
    this.#pending.delete(connectionId);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, connectionId: string): void {
    if ([...this.#connected.values()].includes(connectionId)) {
      rawReply(socket, 409, 'Conflict');
      return;
    }
    const entry = this.#pending.get(connectionId);
    if (!entry || entry.channel.ending) {
      rawReply(socket, 404, 'Not Found');
      return;
    }
    this.#pending.delete(connectionId);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#attach(ws, entry, true));
  }

  /** The `websocket_client.conf` entry named `id`, if configured. */
  client(id: string): WebSocketClientConfig | undefined {
    return this.#o.clients?.[id];
  }

  /**
   * Connection type `client`: Asterisk connects to the application (Basic auth when the entry has credentials,
   * subprotocol `media`) and, once connected, sends MEDIA_START. Rejects when the connection fails.
   */
  dial(entry: PendingMediaSocket, client: WebSocketClientConfig): Promise<void> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> =
        client.username !== undefined
          ? {
              authorization: `Basic ${Buffer.from(`${client.username}:${client.password ?? ''}`).toString('base64')}`,
            }
          : {};
      const base = client.uri.replace(/\/+$/, '');
      const query = entry.uriParams ? entry.uriParams.split(',').join('&') : '';
      const url = query ? `${base}${base.includes('?') ? '&' : '?'}${query}` : base;
      const ws = new WebSocket(url, ['media'], { headers, perMessageDeflate: false, handshakeTimeout: 2000 });
      ws.once('open', () => {
        this.#attach(ws, entry, false);
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        ws.terminate();
        reject(new Error(`HTTP ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  #attach(ws: WebSocket, entry: PendingMediaSocket, completeNow: boolean): void {
    {
      const connectionId = entry.connectionId;
      const ch = entry.channel;
      const conn = new SimChanWebSocket({
        ws,
        connectionId,
        channelName: ch.name,
        channelId: ch.id,
        format: entry.format,
        frameBytes: entry.frameBytes,
        controlFormat: entry.controlFormat,
        channelVariables: { ...ch.channelvars },
        earlyAudioFrames: this.#o.earlyAudioFrames ?? 0,
        recordArrivals: this.#o.recordArrivals ?? false,
        queueMaxFrames: this.#o.queueMaxFrames ?? CHAN_WEBSOCKET_QUEUE_MAX_FRAMES,
        xoffLevel: this.#o.xoffLevel ?? CHAN_WEBSOCKET_XOFF_LEVEL,
        xonLevel: this.#o.xonLevel ?? CHAN_WEBSOCKET_XON_LEVEL,
        onHangupRequest: (why) => entry.hangup(why),
      });
      this.#connected.set(conn, connectionId);
      this.#all.push(conn);
      ch.leg = { hangup: () => conn.hangup(), closed: conn.closed, sendDtmf: (d) => conn.sendDtmf(d) };
      ch.sourceResolver = (audio) => conn.bridged(audio);
      const clock = this.#startClock();
      const unsubscribe = clock.subscribe((tick) => conn.tick(tick));
      void conn.closed.then(() => {
        unsubscribe();
        this.#connected.delete(conn);
      });
      this.#o.onConnection?.(conn);
      if (completeNow) entry.complete();
    }
  }

  #startClock(): MediaClock {
    if (!this.#clock) {
      this.#clock = new MediaClock();
      this.#clock.start();
    }
    return this.#clock;
  }

  /**
   * Hangs up every connection, waits (at most CLOSE_WAIT_MS) for their sockets to close, then stops the clock.
   * Idempotent: every call returns the same promise.
   */
  readonly close: () => Promise<void> = onceAsync(async () => {
    const closing = [...this.#connected.keys()].map((conn) => {
      conn.hangup();
      return conn.closed;
    });
    this.#connected.clear();
    this.#pending.clear();
    await settleWithin(Promise.allSettled(closing), CLOSE_WAIT_MS);
    await this.#clock?.close();
    this.#clock = undefined;
    this.#wss.close();
  });
}
