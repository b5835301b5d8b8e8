import { WebSocket } from 'ws';
import { AppError } from '../../errors/app-error.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { Logger } from '../../observability/logger.js';

/** Who ended the connection: this side, the agent (close frame), or the network (no close frame). */
export type AgentSocketCloseInitiator = 'adapter' | 'agent' | 'network';

export interface AgentSocketClose {
  readonly code: number;
  readonly reason: string;
  readonly initiator: AgentSocketCloseInitiator;
}

export interface AgentSocketEvents {
  [key: string]: unknown[];
  /** A text frame (JSON for every dialect we speak; parsing is the caller's). */
  text: [text: string];
  /** A binary frame (agent audio). */
  binary: [data: Buffer];
  /** Emitted once, after which nothing else is emitted. */
  close: [close: AgentSocketClose];
  /** A failure on an open connection; a `close` follows when the connection is lost. */
  error: [error: AppError];
}

export interface AgentSocketStats {
  /** Control messages sent: JSON text frames and binary control frames. */
  sentJson: number;
  sentAudioFrames: number;
  sentAudioBytes: number;
  /** Audio frames refused because the socket's send buffer was over `maxBufferedBytes`, or it was not open. */
  droppedAudioFrames: number;
  droppedAudioBytes: number;
  receivedText: number;
  receivedBinary: number;
  /** Frames that arrived before any `text`/`binary` listener and did not fit the hold buffer. */
  droppedEarlyFrames: number;
}

export interface AgentSocketOptions {
  readonly callId: string;
  readonly logger: Logger;
  /**
   * Send-buffer bound for audio. When `bufferedAmount` plus the frame exceeds it, the audio frame is dropped and
   * counted (the agent is not reading fast enough; queuing more would only add latency). JSON is never dropped.
   */
  readonly maxBufferedBytes: number;
  /** How long `close()` waits for the closing handshake before destroying the connection. */
  readonly closeTimeoutMs: number;
}

/** Frames held between the upgrade and the first `text`/`binary` listener. */
const EARLY_FRAME_LIMIT = 256;

const NORMAL_CLOSE = 1000;

/**
 * An open WebSocket to one agent, for one call. `Out` is the type of the JSON messages this side sends.
 *
 * Backpressure: `sendBinary` refuses audio while the send buffer is over `maxBufferedBytes` (drop-newest, counted in
 * `stats`); `sendJson` always queues, because control messages must not be lost and are small.
 * `close()` is idempotent and always finishes: it waits for the closing handshake up to `closeTimeoutMs`, then
 * destroys the connection.
 */
export class AgentSocket<Out = unknown> extends TypedEmitter<AgentSocketEvents> {
  readonly #ws: WebSocket;
  readonly #options: AgentSocketOptions;
  readonly #log: Logger;
  readonly #stats: AgentSocketStats = {
    sentJson: 0,
    sentAudioFrames: 0,
    sentAudioBytes: 0,
    droppedAudioFrames: 0,
    droppedAudioBytes: 0,
    receivedText: 0,
    receivedBinary: 0,
    droppedEarlyFrames: 0,
  };
  readonly #closed: Promise<AgentSocketClose>;
  #resolveClosed!: (close: AgentSocketClose) => void;
  #closeRequested = false;
  #closeInfo: AgentSocketClose | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  /** Frames received before anyone listened; `undefined` once delivery has started. */
  #early: Array<{ binary: boolean; data: Buffer } | { error: AppError }> | undefined = [];
  #flushScheduled = false;

  /** Wraps a WebSocket that is already open (see `connectAgentSocket`). */
  constructor(ws: WebSocket, options: AgentSocketOptions) {
    super();
    this.#ws = ws;
    this.#options = options;
    this.#log = options.logger;
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    ws.on('message', (data, isBinary) => this.#onMessage(toBuffer(data), isBinary));
    ws.on('error', (err) => this.#onError(err));
    ws.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')));
    if (ws.readyState !== WebSocket.OPEN) {
      // Constructed around a socket that is already closing: report it like any other close.
      queueMicrotask(() => this.#onClose(1006, 'socket was not open'));
    }
  }

  /** True while frames can be sent. */
  get isOpen(): boolean {
    return this.#closeInfo === undefined && this.#ws.readyState === WebSocket.OPEN;
  }

  /** Bytes queued in user space and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** The subprotocol the agent selected ('' when none). */
  get protocol(): string {
    return this.#ws.protocol;
  }

  get stats(): Readonly<AgentSocketStats> {
    return { ...this.#stats };
  }

  /** Resolves once the connection is closed, however that happened. */
  get closed(): Promise<AgentSocketClose> {
    return this.#closed;
  }

  override on<K extends keyof AgentSocketEvents & string>(
    event: K,
    listener: (...args: AgentSocketEvents[K]) => void,
  ): this {
    super.on(event, listener);
    this.#startDelivery(event);
    return this;
  }

  override once<K extends keyof AgentSocketEvents & string>(
    event: K,
    listener: (...args: AgentSocketEvents[K]) => void,
  ): this {
    super.once(event, listener);
    this.#startDelivery(event);
    return this;
  }

  /** Sends one JSON control message as a text frame. Never dropped; false only when the socket is not open. */
  sendJson(message: Out): boolean {
    if (!this.isOpen) {
      this.#log.debug({ callId: this.#options.callId }, 'agent socket: JSON not sent, socket not open');
      return false;
    }
    this.#ws.send(JSON.stringify(message));
    this.#stats.sentJson += 1;
    return true;
  }

  /**
   * Sends one binary control message (a protobuf control frame). Never dropped, like `sendJson`; false only when the
   * socket is not open.
   */
  sendBinaryControl(data: Uint8Array): boolean {
    if (!this.isOpen) {
      this.#log.debug({ callId: this.#options.callId }, 'agent socket: control frame not sent, socket not open');
      return false;
    }
    this.#ws.send(data, { binary: true });
    this.#stats.sentJson += 1;
    return true;
  }

  /**
   * Sends one audio frame as a binary frame, unless the send buffer is over its bound: then the frame is dropped and
   * counted. Returns whether it was queued.
   */
  sendBinary(data: Uint8Array): boolean {
    if (!this.isOpen || this.#ws.bufferedAmount + data.byteLength > this.#options.maxBufferedBytes) {
      this.#stats.droppedAudioFrames += 1;
      this.#stats.droppedAudioBytes += data.byteLength;
      if (this.#stats.droppedAudioFrames === 1 || this.#stats.droppedAudioFrames % 500 === 0) {
        this.#log.warn(
          {
            callId: this.#options.callId,
            droppedAudioFrames: this.#stats.droppedAudioFrames,
            bufferedAmount: this.#ws.bufferedAmount,
            open: this.isOpen,
          },
          'agent socket: dropping audio, agent is not keeping up',
        );
      }
      return false;
    }
    this.#ws.send(data, { binary: true });
    this.#stats.sentAudioFrames += 1;
    this.#stats.sentAudioBytes += data.byteLength;
    return true;
  }

  /**
   * Gives up the WebSocket without closing it, for another owner (a media worker, through `detachWebSocket`): no
   * event of it reaches this object's listeners any more, and `isOpen` is false here. Undefined when it is closed
   * or closing already.
   */
  release(): WebSocket | undefined {
    if (this.#closeInfo !== undefined || this.#closeRequested || this.#ws.readyState !== WebSocket.OPEN)
      return undefined;
    this.#closeInfo = { code: NORMAL_CLOSE, reason: 'handed over', initiator: 'adapter' };
    this.#ws.removeAllListeners('message');
    this.#ws.removeAllListeners('error');
    this.#ws.removeAllListeners('close');
    return this.#ws;
  }

  /** Closes the connection (idempotent); resolves with how it ended. */
  close(code: number = NORMAL_CLOSE, reason = ''): Promise<AgentSocketClose> {
    if (this.#closeInfo !== undefined || this.#closeRequested) return this.#closed;
    this.#closeRequested = true;
    this.#closeTimer = setTimeout(() => this.#ws.terminate(), this.#options.closeTimeoutMs);
    try {
      this.#ws.close(isSendableCloseCode(code) ? code : NORMAL_CLOSE, truncateReason(reason));
    } catch {
      this.#ws.terminate();
    }
    return this.#closed;
  }

  #onMessage(data: Buffer, binary: boolean): void {
    if (this.#closeInfo !== undefined) return;
    if (this.#early !== undefined) {
      if (this.#early.length >= EARLY_FRAME_LIMIT) {
        this.#early.shift();
        this.#stats.droppedEarlyFrames += 1;
      }
      this.#early.push({ binary, data });
      return;
    }
    this.#deliver(data, binary);
  }

  /**
   * Frames, errors and the close that arrive before the first `text`/`binary`/`close`/`error` listener are held
   * (up to a bound, oldest dropped first). Delivery starts in a microtask after that listener is attached, so
   * listeners attached together in one turn all see them, in order.
   */
  #startDelivery(event: string): void {
    if (this.#early === undefined || this.#flushScheduled) return;
    if (event !== 'text' && event !== 'binary' && event !== 'close' && event !== 'error') return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      const held = this.#early ?? [];
      this.#early = undefined;
      for (const item of held) {
        if ('error' in item) this.#emitError(item.error);
        else this.#deliver(item.data, item.binary);
      }
      if (this.#closeInfo !== undefined) this.emit('close', this.#closeInfo);
    });
  }

  #deliver(data: Buffer, binary: boolean): void {
    if (binary) {
      this.#stats.receivedBinary += 1;
      this.emit('binary', data);
    } else {
      this.#stats.receivedText += 1;
      this.emit('text', data.toString('utf8'));
    }
  }

  #onError(err: Error): void {
    const code = (err as { code?: unknown }).code;
    const wrapped =
      typeof code === 'string' && code.startsWith('WS_ERR_')
        ? new ProtocolError('AGENT_PROTOCOL_VIOLATION', `agent broke the WebSocket protocol: ${err.message}`, {
            wsCode: code,
          })
        : new AppError(`agent connection failed: ${err.message}`, {
            code: 'AGENT_CONNECTION_LOST',
            category: 'connectivity',
            retryable: true,
            cause: err,
          });
    if (this.#early !== undefined) this.#early.push({ error: wrapped });
    else this.#emitError(wrapped);
  }

  #emitError(error: AppError): void {
    try {
      this.emit('error', error);
    } catch {
      // No error listener: the following close event still reports the end of the connection.
      this.#log.warn({ callId: this.#options.callId, err: error.toJSON() }, 'agent socket error');
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#closeInfo !== undefined) return;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    const initiator: AgentSocketCloseInitiator = this.#closeRequested ? 'adapter' : code === 1006 ? 'network' : 'agent';
    const info: AgentSocketClose = { code, reason, initiator };
    this.#closeInfo = info;
    this.#log.debug({ callId: this.#options.callId, ...info, stats: this.#stats }, 'agent socket closed');
    // While frames are still held, the close is emitted after them (see #startDelivery).
    if (this.#early === undefined) this.emit('close', info);
    this.#resolveClosed(info);
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Codes an endpoint may put in a close frame (RFC 6455 §7.4). */
function isSendableCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
      (code >= 3000 && code <= 4999))
  );
}

/** A close reason must fit in 123 bytes of UTF-8. */
function truncateReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}
