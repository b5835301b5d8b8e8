/**
 * One chan_websocket media connection (the application end): TEXT frames are control messages parsed into
 * `ChanWebSocketEvent`s, BINARY frames raw codec audio. Audio that arrives before MEDIA_START (asterisk#1712) is
 * held, bounded, and delivered once MEDIA_START has come and the consumer called `startDelivery()`. Outbound audio goes out only as whole optimal-size frames, never
 * over 65,500 bytes; commands are encoded in the channel's control format.
 */
import type { WebSocket } from 'ws';
import { ProtocolError } from '../../errors/protocol-error.js';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { Logger } from '../../observability/logger.js';
import {
  CHAN_WEBSOCKET_MAX_MESSAGE_BYTES,
  type ChanWebSocketCommand,
  type ChanWebSocketEvent,
  type ControlFormat,
  encodeChanWebSocketCommand,
  type MediaStart,
  MediaFramer,
  parseChanWebSocketEvent,
} from '../../protocols/chan-websocket/index.js';

/** After `close()`, how long the peer gets to answer the close frame before the socket is terminated. */
const CLOSE_TERMINATE_MS = 2000;

export type ChanWebSocketCloseReason = 'remote_closed' | 'local_close' | 'protocol_error' | 'socket_error';

export interface ChanWebSocketCloseInfo {
  readonly reason: ChanWebSocketCloseReason;
  readonly code: number;
  readonly error?: Error | undefined;
}

export type ChanWebSocketControlEvent = Exclude<ChanWebSocketEvent, MediaStart>;

export interface ChanWebSocketConnectionEvents {
  [key: string]: unknown[];
  /** MEDIA_START: format and frame size are known; held early audio follows at once. */
  start: [start: MediaStart];
  /** One BINARY message of raw codec bytes from Asterisk. */
  audio: [data: Buffer];
  /** Any control event other than MEDIA_START. */
  control: [event: ChanWebSocketControlEvent];
  close: [info: ChanWebSocketCloseInfo];
}

export interface ChanWebSocketConnectionOptions {
  readonly controlFormat: ControlFormat;
  /** Audio messages held while MEDIA_START has not come; the oldest is dropped beyond it. Default 100 (2 s). */
  readonly maxEarlyMessages?: number;
  /** Bytes allowed in the socket's send buffer before audio is dropped (a stalled peer). Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  readonly logger: Logger;
}

export class ChanWebSocketConnection extends TypedEmitter<ChanWebSocketConnectionEvents> {
  readonly #ws: WebSocket;
  readonly #o: ChanWebSocketConnectionOptions;
  readonly #log: Logger;
  #start: MediaStart | undefined;
  #framer: MediaFramer | undefined;
  #early: Buffer[] = [];
  #delivering = false;
  #closed = false;
  #resolveEnded!: () => void;
  /** Settles when the socket has closed (the `close` event). */
  readonly #ended = new Promise<void>((resolve) => {
    this.#resolveEnded = resolve;
  });
  /** Counters: early messages kept and dropped, audio refused by backpressure, control messages not understood. */
  readonly stats = { earlyMessages: 0, earlyDropped: 0, sendDropped: 0, badControl: 0, framesSent: 0 };

  constructor(ws: WebSocket, options: ChanWebSocketConnectionOptions) {
    super();
    this.#ws = ws;
    this.#o = options;
    this.#log = options.logger;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer | Buffer[], isBinary));
    ws.on('close', (code) => this.#finish({ reason: this.#closed ? 'local_close' : 'remote_closed', code }));
    ws.on('error', (error) => {
      this.#log.warn({ err: error }, 'chan_websocket media socket error');
      this.#finish({ reason: 'socket_error', code: 1006, error });
      ws.terminate();
    });
  }

  /** MEDIA_START once received. */
  get mediaStart(): MediaStart | undefined {
    return this.#start;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get controlFormat(): ControlFormat {
    return this.#o.controlFormat;
  }

  /** Bytes of outbound audio waiting for a whole frame. */
  get pendingBytes(): number {
    return this.#framer?.pendingBytes ?? 0;
  }

  /**
   * Sends audio in the channel's format as whole optimal-size frames, one message each (a partial frame waits for
   * more bytes). Returns the number of frames sent; 0 before MEDIA_START or once closed.
   */
  sendAudio(data: Buffer): number {
    if (this.#closed || !this.#framer) return 0;
    const frames = this.#framer.push(data);
    let sent = 0;
    for (const frame of frames) {
      if (this.#ws.bufferedAmount > (this.#o.maxBufferedBytes ?? 1024 * 1024)) {
        this.stats.sendDropped += 1;
        continue;
      }
      if (frame.length > CHAN_WEBSOCKET_MAX_MESSAGE_BYTES) throw new RangeError('frame exceeds the message limit');
      this.#ws.send(frame, { binary: true });
      this.stats.framesSent += 1;
      sent += 1;
    }
    return sent;
  }

  /** The consumer listens now: held audio is emitted (after MEDIA_START), then audio flows as it arrives. */
  startDelivery(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    if (this.#start) this.#flushEarly();
  }

  #flushEarly(): void {
    const early = this.#early;
    this.#early = [];
    if (early.length > 0) this.#log.info({ messages: early.length }, 'audio that came before MEDIA_START delivered');
    for (const chunk of early) if (!this.#closed) this.emit('audio', chunk);
  }

  /** Drops outbound bytes still waiting for a whole frame. */
  clearPendingAudio(): void {
    this.#framer?.clear();
  }

  command(cmd: ChanWebSocketCommand): void {
    if (this.#closed) return;
    this.#ws.send(encodeChanWebSocketCommand(cmd, this.#o.controlFormat), { binary: false });
  }

  /**
   * Closes the media socket (Asterisk then hangs the channel up). Idempotent; resolves once the socket has closed,
   * which takes at most CLOSE_TERMINATE_MS (then the socket is terminated).
   */
  close(code = 1000): Promise<void> {
    if (this.#closed) return this.#ended;
    this.#closed = true;
    this.#early = [];
    try {
      this.#ws.close(code);
    } catch {
      this.#ws.terminate();
    }
    const timer = setTimeout(() => this.#ws.terminate(), CLOSE_TERMINATE_MS);
    timer.unref();
    this.#ws.once('close', () => clearTimeout(timer));
    return this.#ended;
  }

  #onMessage(data: Buffer | Buffer[], isBinary: boolean): void {
    const buf = Array.isArray(data) ? Buffer.concat(data) : data;
    if (isBinary) {
      if (this.#start && this.#delivering) {
        this.emit('audio', buf);
        return;
      }
      this.#early.push(buf);
      if (!this.#start) this.stats.earlyMessages += 1;
      const max = this.#o.maxEarlyMessages ?? 100;
      while (this.#early.length > max) {
        this.#early.shift();
        this.stats.earlyDropped += 1;
      }
      return;
    }
    const parsed = parseChanWebSocketEvent(buf.toString('utf8'));
    if (!parsed.ok) {
      this.stats.badControl += 1;
      this.#log.warn({ reason: parsed.reason }, 'chan_websocket control message not understood; ignored');
      return;
    }
    const event = parsed.event;
    if (event.event === 'MEDIA_START') {
      if (this.#start) return;
      if (event.optimal_frame_size <= 0 || event.optimal_frame_size > CHAN_WEBSOCKET_MAX_MESSAGE_BYTES) {
        this.#protocolError(`MEDIA_START optimal_frame_size ${event.optimal_frame_size} is out of range`);
        return;
      }
      this.#start = event;
      this.#framer = new MediaFramer(event.optimal_frame_size);
      this.emit('start', event);
      if (this.#delivering) this.#flushEarly();
      return;
    }
    this.emit('control', event);
  }

  #protocolError(message: string): void {
    const error = new ProtocolError('CHAN_WEBSOCKET_PROTOCOL', message);
    this.#log.warn({ err: error }, 'chan_websocket protocol error; closing');
    this.#finish({ reason: 'protocol_error', code: 1002, error });
    void this.close(1002).catch(() => undefined);
  }

  #finishedInfo: ChanWebSocketCloseInfo | undefined;

  #finish(info: ChanWebSocketCloseInfo): void {
    if (this.#finishedInfo) return;
    this.#finishedInfo = info;
    this.#closed = true;
    this.#early = [];
    this.#resolveEnded();
    this.emit('close', info);
  }
}
