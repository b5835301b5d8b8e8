import { WebSocket } from 'ws';
import { AppError } from '../../errors/app-error.js';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { Logger } from '../../observability/logger.js';
import { appendEventText, type RealtimeClientEvent } from '../../protocols/realtime/client-events.js';

/** Who ended the connection: this side, the server (close frame), or the network (no close frame). */
export type RealtimeCloseInitiator = 'client' | 'server' | 'network';

export interface RealtimeSocketClose {
  readonly code: number;
  readonly reason: string;
  readonly initiator: RealtimeCloseInitiator;
}

export interface RealtimeSocketEvents {
  [key: string]: unknown[];
  /** One text frame from the server (a JSON event; parsing is the caller's). */
  text: [text: string];
  /** Emitted once; nothing is emitted after it. */
  close: [close: RealtimeSocketClose];
  /** A failure on the open connection; a `close` follows when the connection is lost. */
  error: [error: AppError];
}

export interface RealtimeSocketStats {
  sentEvents: number;
  appendedChunks: number;
  appendedBytes: number;
  /** Audio chunks not sent because the send buffer was over its bound, or the socket was not open. */
  droppedChunks: number;
  receivedEvents: number;
  /** Binary frames received (the protocol has none; they are counted and ignored). */
  ignoredBinary: number;
}

export interface RealtimeSocketOptions {
  readonly callId: string;
  readonly logger: Logger;
  /** Send-buffer bound for audio appends; above it an append is dropped (drop-newest) and counted. */
  readonly maxBufferedBytes: number;
  /** How long `close()` waits for the closing handshake before destroying the connection. */
  readonly closeTimeoutMs: number;
}

const NORMAL_CLOSE = 1000;
/** Text frames held before the first listener; later ones are dropped. */
const EARLY_FRAME_LIMIT = 256;

/**
 * An open WebSocket to a Realtime server for one call: JSON events both ways as text frames.
 *
 * Backpressure: `appendAudio` refuses caller audio while the socket's send buffer holds more than
 * `maxBufferedBytes` (the audio is real time; queuing it would only add latency), counting what it drops;
 * `send` always queues, because control events must not be lost and are small.
 * `close()` is idempotent and always finishes: it waits for the closing handshake up to `closeTimeoutMs`, then
 * destroys the connection. Listeners must be attached before the first turn of the event loop after the socket
 * is handed over (`connectRealtimeSocket` resolves with it right after `open`).
 */
export class RealtimeSocket extends TypedEmitter<RealtimeSocketEvents> {
  readonly #ws: WebSocket;
  readonly #o: RealtimeSocketOptions;
  readonly stats: RealtimeSocketStats = {
    sentEvents: 0,
    appendedChunks: 0,
    appendedBytes: 0,
    droppedChunks: 0,
    receivedEvents: 0,
    ignoredBinary: 0,
  };
  readonly #closed: Promise<RealtimeSocketClose>;
  #resolveClosed!: (close: RealtimeSocketClose) => void;
  #closeRequested = false;
  #closeInfo: RealtimeSocketClose | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  /** Text frames received before the first `text` listener; undefined once delivery has started. */
  #early: string[] | undefined = [];

  constructor(ws: WebSocket, options: RealtimeSocketOptions) {
    super();
    this.#ws = ws;
    this.#o = options;
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('error', (err) => this.#onError(err));
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')));
    if (ws.readyState !== WebSocket.OPEN) queueMicrotask(() => this.#onClose(1006, 'socket was not open'));
  }

  get isOpen(): boolean {
    return this.#closeInfo === undefined && this.#ws.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Resolves once the connection is closed, however that happened. */
  get closed(): Promise<RealtimeSocketClose> {
    return this.#closed;
  }

  /**
   * Frames (and a close) that arrive before the first `text` listener — a server may send an event in the same
   * packet as its upgrade answer — are held, up to a bound, and delivered in order in a microtask after that
   * listener is attached.
   */
  override on<K extends keyof RealtimeSocketEvents & string>(
    event: K,
    listener: (...args: RealtimeSocketEvents[K]) => void,
  ): this {
    super.on(event, listener);
    if (event === 'text' && this.#early !== undefined) {
      const held = this.#early;
      this.#early = undefined;
      queueMicrotask(() => {
        for (const text of held) this.emit('text', text);
        if (this.#closeInfo !== undefined) this.emit('close', this.#closeInfo);
      });
    }
    return this;
  }

  /** Sends one client event. Never dropped while open; false when the socket is not open. */
  send(event: RealtimeClientEvent): boolean {
    if (!this.isOpen) return false;
    this.#ws.send(JSON.stringify(event));
    this.stats.sentEvents += 1;
    return true;
  }

  /**
   * Appends caller audio (`input_audio_buffer.append`), unless the send buffer is over its bound: then the chunk
   * is dropped and counted. Returns whether it was queued.
   */
  appendAudio(chunk: Buffer): boolean {
    const text = appendEventText(chunk.toString('base64'));
    if (!this.isOpen || this.#ws.bufferedAmount + text.length > this.#o.maxBufferedBytes) {
      this.stats.droppedChunks += 1;
      if (this.stats.droppedChunks === 1 || this.stats.droppedChunks % 500 === 0) {
        this.#o.logger.warn(
          { droppedChunks: this.stats.droppedChunks, bufferedAmount: this.#ws.bufferedAmount, open: this.isOpen },
          'realtime socket: dropping caller audio, the server is not keeping up',
        );
      }
      return false;
    }
    this.#ws.send(text);
    this.stats.appendedChunks += 1;
    this.stats.appendedBytes += chunk.length;
    return true;
  }

  /** Closes the connection (idempotent); resolves with how it ended. */
  close(code: number = NORMAL_CLOSE, reason = ''): Promise<RealtimeSocketClose> {
    if (this.#closeInfo !== undefined || this.#closeRequested) return this.#closed;
    this.#closeRequested = true;
    this.#closeTimer = setTimeout(() => this.#ws.terminate(), this.#o.closeTimeoutMs);
    try {
      this.#ws.close(code, reason.slice(0, 100));
    } catch {
      this.#ws.terminate();
    }
    return this.#closed;
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.#closeInfo !== undefined) return;
    if (isBinary) {
      this.stats.ignoredBinary += 1;
      return;
    }
    this.stats.receivedEvents += 1;
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    if (this.#early !== undefined) {
      if (this.#early.length < EARLY_FRAME_LIMIT) this.#early.push(text);
      return;
    }
    this.emit('text', text);
  }

  #onError(err: Error): void {
    const error = new AppError(`realtime connection failed: ${err.message}`, {
      code: 'REALTIME_CONNECTION_LOST',
      category: 'connectivity',
      retryable: true,
      cause: err,
    });
    try {
      this.emit('error', error);
    } catch {
      this.#o.logger.warn({ err: error.toJSON() }, 'realtime socket error');
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#closeInfo !== undefined) return;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    const initiator: RealtimeCloseInitiator = this.#closeRequested ? 'client' : code === 1006 ? 'network' : 'server';
    const info: RealtimeSocketClose = { code, reason, initiator };
    this.#closeInfo = info;
    this.#o.logger.debug({ ...info, stats: this.stats }, 'realtime socket closed');
    // While frames are held, the close is emitted after them (see `on`).
    if (this.#early === undefined) this.emit('close', info);
    this.#resolveClosed(info);
  }
}
