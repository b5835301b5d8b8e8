// Over 400 lines (just): one connection's framing, state, backpressure and close reasons belong together.
import type { Socket } from 'node:net';
import type { AudioFormat } from '../../audio/format.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import { assertNever } from '../../lib/assert-never.js';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { Logger } from '../../observability/logger.js';
import type { AudioSocketDecoder } from '../../protocols/audiosocket/decoder.js';
import type { DtmfDigit } from '../../protocols/audiosocket/dtmf.js';
import { encodeAudioFrameInto, encodeHangup } from '../../protocols/audiosocket/encoder.js';
import { type AudioKind, audioFormatOfKind, formatKind } from '../../protocols/audiosocket/kinds.js';
import type { AudioSocketMessage } from '../../protocols/audiosocket/messages.js';
import type { AudioSocketCloseInfo } from './close-reason.js';
import { IdleWatchdog } from './idle-watchdog.js';
import { type AudioSocketConnectionStats, type AudioSocketCounters, createConnectionStats } from './counters.js';

/** Code of the ProtocolError raised when a UUID frame arrives after the handshake. */
export const AUDIOSOCKET_UNEXPECTED_UUID = 'AUDIOSOCKET_UNEXPECTED_UUID';

/** One inbound audio frame with the format its kind declares. */
export interface InboundAudio {
  readonly format: AudioFormat;
  readonly kind: AudioKind;
  readonly payload: Buffer;
}

/** The inbound audio kind changed mid-call (e.g. `0x10` → `0x12`). */
export interface FormatChange {
  readonly previous: AudioFormat;
  readonly previousKind: AudioKind;
  readonly format: AudioFormat;
  readonly kind: AudioKind;
}

export type AudioSocketConnectionEvents = {
  audio: [audio: InboundAudio];
  dtmf: [digit: DtmfDigit];
  formatChange: [change: FormatChange];
  /** Emitted once, after the socket has closed. */
  close: [info: AudioSocketCloseInfo];
};

export type AudioSocketConnectionState = 'open' | 'closing' | 'closed';

/** Reasons `hangup()` accepts: our own hangup, or the server shutting down. */
export type AudioSocketHangupReason = 'hangup_sent' | 'server_closing';

export interface AudioSocketConnectionOptions<C> {
  socket: Socket;
  uuid: string;
  context: C;
  /** The decoder that read the UUID frame (it may hold part of the next frame). */
  decoder: AudioSocketDecoder;
  /** Closes the connection (`idle_timeout`) after this long without a byte; 0: never. */
  idleTimeoutMs: number;
  /** Bytes allowed to wait in the socket's write buffer before audio frames are dropped. */
  maxPendingWriteBytes: number;
  /** After we end our side, how long the peer gets to close its side before the socket is destroyed. */
  closeGraceMs: number;
  /** Bound to the call (the server binds `uuid`); every line this connection logs goes through it. */
  logger: Logger;
  /** Server-wide counters this connection adds to. */
  counters: AudioSocketCounters;
  /** Monotonic milliseconds; `performance.now` by default. */
  now?: () => number;
}

/**
 * One admitted AudioSocket call: owns its socket, decodes what Asterisk sends into typed events, and writes audio
 * and hangup frames back. The inbound format comes from the frames' kind; the outbound kind follows it unless set.
 *
 * Backpressure: a frame is written whole or not at all. When `write()` has reported a full buffer and the bytes
 * waiting exceed `maxPendingWriteBytes`, new audio frames are dropped (newest dropped, queued audio kept) and
 * counted; writing resumes on its own once the socket drains.
 */
export class AudioSocketConnection<C> extends TypedEmitter<AudioSocketConnectionEvents> {
  readonly uuid: string;
  readonly context: C;
  readonly remoteAddress: string;
  /** Resolves once the socket has closed, with why. Never rejects. */
  readonly closed: Promise<AudioSocketCloseInfo>;
  readonly #socket: Socket;
  readonly #decoder: AudioSocketDecoder;
  readonly #maxPending: number;
  readonly #closeGraceMs: number;
  readonly #log: Logger;
  readonly #counters: AudioSocketCounters;
  readonly #stats: AudioSocketConnectionStats = createConnectionStats();
  #resolveClosed!: (info: AudioSocketCloseInfo) => void;
  #state: AudioSocketConnectionState = 'open';
  #closeInfo: AudioSocketCloseInfo | undefined;
  #started = false;
  #inboundKind: AudioKind | undefined;
  #outboundKind: AudioKind | undefined;
  #needDrain = false;
  #dropping = false;
  #droppedInRun = 0;
  /** The last audio frame's bytes while the socket holds no reference to them: the next frame is encoded into it. */
  #wire: Buffer | undefined;
  readonly #idle: IdleWatchdog;
  readonly #idleTimeoutMs: number;
  #graceTimer: NodeJS.Timeout | undefined;

  constructor(options: AudioSocketConnectionOptions<C>) {
    super();
    this.uuid = options.uuid;
    this.context = options.context;
    this.#socket = options.socket;
    this.#decoder = options.decoder;
    this.#maxPending = options.maxPendingWriteBytes;
    this.#closeGraceMs = options.closeGraceMs;
    this.#log = options.logger;
    this.#counters = options.counters;
    this.#idleTimeoutMs = options.idleTimeoutMs;
    this.#idle = new IdleWatchdog({
      timeoutMs: options.idleTimeoutMs,
      now: options.now,
      onIdle: (idleMs) => {
        this.#log.warn(
          { idleMs: Math.round(idleMs), idleTimeoutMs: options.idleTimeoutMs },
          'AudioSocket connection closed: nothing received within the idle timeout',
        );
        this.#beginClose({ reason: 'idle_timeout' });
      },
    });
    this.remoteAddress = `${options.socket.remoteAddress}:${options.socket.remotePort}`;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#counters.connectionsActive += 1;
    const socket = this.#socket;
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('drain', this.#onDrain);
    if (socket.destroyed) queueMicrotask(this.#onClose);
  }

  get state(): AudioSocketConnectionState {
    return this.#state;
  }

  /** Counters of this connection (a snapshot). */
  get stats(): Readonly<AudioSocketConnectionStats> {
    return { ...this.#stats };
  }

  /** Bytes written but not yet handed to the kernel (bounded by `maxPendingWriteBytes` plus one frame). */
  get pendingWriteBytes(): number {
    return this.#socket.writableLength;
  }

  /** Kind of the last inbound audio frame; undefined until audio arrives. */
  get inboundKind(): AudioKind | undefined {
    return this.#inboundKind;
  }

  get inboundFormat(): AudioFormat | undefined {
    return this.#inboundKind === undefined ? undefined : audioFormatOfKind(this.#inboundKind);
  }

  /** Kind used by `sendAudio`: the one set, else the inbound kind, else `0x10` (slin 8 kHz). */
  get outboundKind(): AudioKind {
    return this.#outboundKind ?? this.#inboundKind ?? 0x10;
  }

  get outboundFormat(): AudioFormat {
    return audioFormatOfKind(this.outboundKind);
  }

  /** Pins the outbound kind (e.g. from the format asked of externalMedia); undefined follows the inbound kind again. */
  setOutboundKind(kind: AudioKind | undefined): void {
    this.#outboundKind = kind;
  }

  /**
   * Starts reading: delivers `initial` (messages that came with the UUID frame) and closes on `initialError` (a bad
   * frame that followed them), else resumes the socket. Called by the server after it has handed the connection to
   * its listeners; later calls do nothing.
   */
  start(initial: readonly AudioSocketMessage[] = [], initialError?: Error): void {
    if (this.#started) return;
    this.#started = true;
    // A listener may have closed the connection already (its call ended first): nothing left to watch then.
    if (this.#idleTimeoutMs > 0 && this.#state === 'open') this.#idle.start();
    try {
      for (const message of initial) {
        if (this.#state !== 'open') return;
        this.#handle(message);
      }
    } catch (err) {
      this.#internalError(err);
      return;
    }
    if (initialError) this.#protocolError(initialError);
    if (this.#state !== 'open') return;
    this.#socket.on('data', this.#onData);
    this.#socket.resume();
  }

  /**
   * Writes one audio frame with the current outbound kind. Returns false if it was not written: the connection is
   * not open, or the socket is backed up past `maxPendingWriteBytes` (the frame is dropped and counted).
   * @throws ProtocolError for an empty frame or an odd byte count (never valid towards Asterisk).
   */
  sendAudio(frame: Buffer): boolean {
    const encoded = encodeAudioFrameInto(this.outboundKind, frame, this.#wire);
    // Not written (closed, or dropped below): the buffer stays ours for the next frame.
    this.#wire = encoded;
    if (this.#state !== 'open') return false;
    if (this.#needDrain && this.#socket.writableLength + encoded.length > this.#maxPending) {
      this.#stats.framesDropped += 1;
      this.#counters.framesDropped += 1;
      this.#droppedInRun += 1;
      if (!this.#dropping) {
        this.#dropping = true;
        this.#log.warn(
          { pendingBytes: this.#socket.writableLength, maxPendingWriteBytes: this.#maxPending },
          'AudioSocket output is not draining: dropping audio frames',
        );
      }
      return false;
    }
    this.#wire = undefined;
    this.#write(encoded);
    // Ownership: socket.write() keeps a reference to a buffer it could not hand to the kernel at once, until it is
    // flushed; then writableLength counts it. At 0 nothing is pending and nothing refers to `encoded` any more, so
    // the next frame may be written into it. Otherwise the socket keeps it and the next frame gets a new buffer.
    if (this.#socket.writableLength === 0) this.#wire = encoded;
    return true;
  }

  /**
   * Sends the hangup frame `00 00 00`, ends our side and waits for the socket to close (Asterisk closes its side
   * within a millisecond; after `closeGraceMs` the socket is destroyed). Idempotent.
   */
  hangup(reason: AudioSocketHangupReason = 'hangup_sent'): Promise<AudioSocketCloseInfo> {
    if (this.#state === 'open') {
      this.#write(encodeHangup());
      this.#log.info({ reason }, 'AudioSocket hangup sent');
      this.#beginClose({ reason });
    }
    return this.closed;
  }

  /** Ends the connection without a hangup frame (Asterisk treats both alike). Idempotent; always finishes. */
  close(): Promise<AudioSocketCloseInfo> {
    if (this.#state === 'open') this.#beginClose({ reason: 'local_close' });
    return this.closed;
  }

  #write(encoded: Buffer): void {
    const ok = this.#socket.write(encoded);
    this.#stats.framesOut += 1;
    this.#stats.bytesOut += encoded.length;
    this.#counters.framesOut += 1;
    this.#counters.bytesOut += encoded.length;
    if (!ok) this.#needDrain = true;
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#state !== 'open') return;
    this.#idle.touch();
    this.#stats.bytesIn += chunk.length;
    this.#counters.bytesIn += chunk.length;
    const messages: AudioSocketMessage[] = [];
    let failure: unknown;
    try {
      this.#decoder.push(chunk, messages);
    } catch (err) {
      failure = err;
    }
    try {
      for (const message of messages) {
        if (this.#state !== 'open') return;
        this.#handle(message);
      }
    } catch (err) {
      this.#internalError(err);
      return;
    }
    if (failure !== undefined) this.#protocolError(failure);
  };

  #handle(message: AudioSocketMessage): void {
    this.#stats.framesIn += 1;
    this.#counters.framesIn += 1;
    switch (message.type) {
      case 'audio': {
        this.#stats.audioFramesIn += 1;
        this.#counters.audioFramesIn += 1;
        const previousKind = this.#inboundKind;
        this.#inboundKind = message.kind;
        const format = audioFormatOfKind(message.kind);
        if (previousKind !== undefined && previousKind !== message.kind) {
          this.#log.info(
            { from: formatKind(previousKind), to: formatKind(message.kind) },
            'AudioSocket inbound format changed',
          );
          this.emit('formatChange', {
            previous: audioFormatOfKind(previousKind),
            previousKind,
            format,
            kind: message.kind,
          });
        }
        this.emit('audio', { format, kind: message.kind, payload: message.payload });
        return;
      }
      case 'dtmf':
        this.#stats.dtmfIn += 1;
        this.#counters.dtmfIn += 1;
        this.emit('dtmf', message.digit);
        return;
      case 'uuid':
        this.#protocolError(
          new ProtocolError(AUDIOSOCKET_UNEXPECTED_UUID, `second UUID frame (${message.uuid}) after the handshake`, {
            uuid: message.uuid,
          }),
        );
        return;
      case 'hangup':
        this.#log.info('AudioSocket peer sent a hangup frame');
        this.#beginClose({ reason: 'remote_hangup' });
        return;
      case 'error': {
        const error = new Error(`AudioSocket peer sent error frame code 0x${message.code.toString(16)}`);
        this.#log.warn({ code: message.code }, 'AudioSocket peer sent an error frame');
        this.#beginClose({ reason: 'remote_error', error });
        return;
      }
      default:
        assertNever(message, 'AudioSocket message');
    }
  }

  #protocolError(err: unknown): void {
    if (this.#state !== 'open') return;
    const error = err instanceof Error ? err : new Error(String(err));
    const code = err instanceof ProtocolError ? err.code : 'UNKNOWN';
    this.#counters.protocolErrors += 1;
    this.#log.warn(
      { remote: this.remoteAddress, code, details: (err as ProtocolError).details },
      `AudioSocket connection closed: protocol error ${code}: ${error.message}`,
    );
    this.#beginClose({ reason: 'protocol_error', error }, true);
  }

  #internalError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.#log.error({ err: error }, 'AudioSocket connection listener threw; closing the connection');
    this.#beginClose({ reason: 'internal_error', error }, true);
  }

  readonly #onEnd = (): void => {
    if (this.#state === 'open') {
      this.#log.info('AudioSocket peer closed the connection');
      this.#beginClose({ reason: 'remote_closed' });
    }
  };

  readonly #onError = (err: Error): void => {
    if (this.#state === 'open') {
      this.#log.warn({ err: err.message }, 'AudioSocket socket error');
      this.#beginClose({ reason: 'socket_error', error: err }, true);
    } else {
      this.#log.debug({ err: err.message }, 'AudioSocket socket error while closing');
    }
  };

  readonly #onDrain = (): void => {
    this.#needDrain = false;
    if (this.#dropping) {
      this.#dropping = false;
      this.#log.info({ dropped: this.#droppedInRun }, 'AudioSocket output draining again');
      this.#droppedInRun = 0;
    }
  };

  /** Records why the connection ends and ends the socket; `destroy` skips waiting for the peer. */
  #beginClose(info: AudioSocketCloseInfo, destroy = false): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#closeInfo = info;
    if (info.reason === 'idle_timeout') this.#counters.idleTimeouts += 1;
    void this.#idle.close().catch(() => undefined);
    this.#socket.off('data', this.#onData);
    if (destroy || this.#socket.destroyed) {
      this.#socket.destroy();
      return;
    }
    this.#socket.end();
    this.#socket.resume();
    this.#graceTimer = setTimeout(() => this.#socket.destroy(), this.#closeGraceMs);
  }

  readonly #onClose = (): void => {
    if (this.#state === 'closed') return;
    if (this.#state === 'open') {
      this.#closeInfo = { reason: 'remote_closed' };
      void this.#idle.close().catch(() => undefined);
    }
    this.#state = 'closed';
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.#counters.connectionsActive -= 1;
    const info = this.#closeInfo ?? { reason: 'remote_closed' };
    this.#log.info({ reason: info.reason, ...this.#stats }, 'AudioSocket connection closed');
    try {
      this.emit('close', info);
    } catch (err) {
      this.#log.error({ err }, 'AudioSocket close listener threw');
    }
    this.#resolveClosed(info);
  };
}
