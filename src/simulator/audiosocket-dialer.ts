// Over 400 lines: the simulated Asterisk side of one AudioSocket call (pacing, every kind, pauses, recording) as one class.
import { connect, type Socket } from 'node:net';
import { FRAME_MS } from '../audio/format.js';
import { type ClockTick, MediaClock } from '../audio/media-clock.js';
import { AppError } from '../errors/app-error.js';
import { assertNever } from '../lib/assert-never.js';
import { AudioSocketDecoder } from '../protocols/audiosocket/decoder.js';
import type { DtmfDigit } from '../protocols/audiosocket/dtmf.js';
import { encodeInboundMessage } from '../protocols/audiosocket/inbound-encoder.js';
import { type AudioKind, AUDIO_KIND_SAMPLE_RATE, formatKind } from '../protocols/audiosocket/kinds.js';
import type { AudioSocketMessage } from '../protocols/audiosocket/messages.js';
import { normalizeUuid } from '../protocols/audiosocket/uuid.js';
import { type AudioSource, type FrameSource, openAudioSource } from './audio/audio-source.js';

/** The narrow part of a MediaClock the dialer paces itself with. */
export interface FrameTicker {
  subscribe(listener: (tick: ClockTick) => void): () => void;
}

export interface DialAudioSocketOptions {
  host: string;
  port: number;
  /** Sent as the first frame (16 binary bytes). */
  uuid: string;
  /**
   * Audio kind sent, like the `c(slinNN)` of Asterisk's `Dial(AudioSocket/…)`: any of `0x10` slin (default) … `0x18`
   * slin192; each frame carries 20 ms at that rate (882 samples for `0x15` slin44).
   */
  kind?: AudioKind;
  /** The caller's audio; silence by default. */
  source?: AudioSource;
  /** When the source ends: keep sending silence (default), stop sending but stay connected, or hang up. */
  onSourceEnd?: 'silence' | 'stop' | 'hangup';
  /** Audio starts this long after the UUID frame (Asterisk starts once the channel is bridged). Default 0. */
  firstAudioDelayMs?: number;
  /**
   * Send no audio until `resumeAudio()` is called (the UUID frame still goes out at once): the first audio frame then
   * arrives exactly when a test wants it, e.g. after the agent has queued its greeting (a `Dial(AudioSocket/…)` leg
   * whose first slin16 frame comes late). Default false.
   */
  holdAudio?: boolean;
  /** Aborting hangs the call up. */
  signal?: AbortSignal;
  /**
   * A shared clock to pace frames with (one per load generator). Without it the call runs its own MediaClock,
   * started when the UUID frame is sent, so frame n is due at `start + n * 20 ms`.
   */
  clock?: FrameTicker;
  /** Monotonic milliseconds for timestamps and the private clock; `performance.now` by default. */
  now?: () => number;
  /** Timer functions of the private clock (injectable for deterministic tests). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Keep every received frame in `received` (default true); payloads only with `recordPayloads` (default true). */
  recordReceived?: boolean;
  recordPayloads?: boolean;
  /** Keep every sent audio payload for `sentAudio()` (default true). */
  recordSent?: boolean;
  /** Called for every frame received, also when nothing is recorded. */
  onFrame?: (frame: ReceivedFrame) => void;
  /** Default 2000 ms, Asterisk's connect timeout. */
  connectTimeoutMs?: number;
}

/** One frame the server sent, with the monotonic time its TCP read arrived. */
export interface ReceivedFrame {
  readonly at: number;
  /** Kind byte: `0x00` hangup or an audio kind (anything else ends the call as a protocol violation). */
  readonly kind: number;
  readonly length: number;
  readonly payload: Buffer | undefined;
}

/** One frame this caller sent: when it was due, when it was written, and what. */
export interface SentFrame {
  readonly scheduledAt: number;
  readonly at: number;
  readonly kind: number;
  readonly length: number;
}

export type DialerCloseReason =
  | 'hangup'
  | 'aborted'
  | 'source_ended'
  | 'hangup_frame'
  | 'remote_closed'
  | 'protocol_violation'
  | 'socket_error';

/** How the simulated call ended: who closed the socket, and why. */
export interface DialerCloseInfo {
  readonly by: 'local' | 'remote';
  readonly reason: DialerCloseReason;
  readonly error?: Error;
}

const CLOSE_GRACE_MS = 2000;

/**
 * A simulated Asterisk AudioSocket channel, faithful to Asterisk 22.10 traces: it connects, sends
 * `01 00 10 <uuid>` first, then one 20 ms audio frame per tick (`10 01 40 <320 B>` for slin, `12 02 80 <640 B>` for
 * slin16) on a drift-free schedule, sends DTMF as `03 00 01 <digit>` when a digit ends, hangs up by closing the
 * socket (it never sends `0x00`), closes its side when it receives `0x00`, and drops the connection (RST) on any
 * frame Asterisk would refuse (UUID, DTMF or error kinds, empty audio).
 *
 * Create it with `dialAudioSocket`.
 */
export class SimulatedAudioSocketCall {
  readonly uuid: string;
  /** Every frame received (unless `recordReceived: false`). */
  readonly received: ReceivedFrame[] = [];
  /** Every audio frame sent. */
  readonly sent: SentFrame[] = [];
  /** What Asterisk would have logged as an error before dropping the call. */
  readonly protocolViolations: string[] = [];
  readonly closed: Promise<DialerCloseInfo>;
  /** Monotonic time the UUID frame was written. */
  readonly startedAt: number;
  readonly #socket: Socket;
  readonly #now: () => number;
  readonly #opts: DialAudioSocketOptions;
  readonly #decoder = new AudioSocketDecoder();
  readonly #sentPayloads: Buffer[] = [];
  readonly #unsubscribe: () => void;
  readonly #privateClock: MediaClock | undefined;
  #resolveClosed!: (info: DialerCloseInfo) => void;
  #kind: AudioKind;
  #source: FrameSource;
  #sourceEnded = false;
  #paused = 0;
  #closeInfo: DialerCloseInfo | undefined;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #graceTimer: NodeJS.Timeout | undefined;
  #framesSent = 0;
  #framesReceived = 0;
  #wireGap: { afterFrames: number; durationMs: number } | undefined;
  #wireGapTimer: unknown;

  /** Use `dialAudioSocket`. */
  constructor(socket: Socket, options: DialAudioSocketOptions) {
    this.#socket = socket;
    this.#opts = options;
    this.uuid = normalizeUuid(options.uuid);
    this.#now = options.now ?? (() => performance.now());
    this.#kind = options.kind ?? 0x10;
    this.#paused = options.holdAudio ? 1 : 0;
    this.#source = openAudioSource(options.source ?? { type: 'silence' }, AUDIO_KIND_SAMPLE_RATE[this.#kind]);
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.write(encodeInboundMessage({ type: 'uuid', uuid: this.uuid }));
    this.startedAt = this.#now();
    const audioFrom = this.startedAt + (options.firstAudioDelayMs ?? 0);
    const onTick = (tick: ClockTick): void => this.#onTick(tick, audioFrom);
    if (options.clock) {
      this.#privateClock = undefined;
      this.#unsubscribe = options.clock.subscribe(onTick);
    } else {
      this.#privateClock = new MediaClock({
        intervalMs: FRAME_MS,
        now: this.#now,
        setTimer: options.setTimer,
        clearTimer: options.clearTimer,
        maxCatchUpTicks: 5,
      });
      this.#unsubscribe = this.#privateClock.subscribe(onTick);
      this.#privateClock.start();
    }
    if (options.signal) {
      if (options.signal.aborted) this.#closeLocally('aborted');
      else options.signal.addEventListener('abort', () => this.#closeLocally('aborted'), { once: true });
    }
  }

  /** Audio kind being sent. */
  get kind(): AudioKind {
    return this.#kind;
  }

  get state(): 'open' | 'closing' | 'closed' {
    return this.#state;
  }

  get framesSent(): number {
    return this.#framesSent;
  }

  get framesReceived(): number {
    return this.#framesReceived;
  }

  /** Switches the audio kind mid-call (e.g. `0x10` → `0x12`); the source keeps its position. */
  setKind(kind: AudioKind): void {
    this.#kind = kind;
  }

  /** Stops sending audio (the socket stays open) until `resumeAudio()`. Nested calls need as many resumes. */
  pauseAudio(): void {
    this.#paused += 1;
  }

  resumeAudio(): void {
    if (this.#paused > 0) this.#paused -= 1;
  }

  /**
   * Goes quiet on the wire like a silence-suppressed, muted or stalled caller: once `afterFrames` audio frames have
   * been sent in all (default: now), sends nothing at all for `durationMs` (the socket stays open), then carries on
   * where the audio source stopped. Asterisk does exactly this when the caller's RTP stops.
   */
  stopSendingFor(durationMs: number, afterFrames = this.#framesSent): void {
    this.#wireGap = { afterFrames, durationMs };
  }

  /** True while a `stopSendingFor` gap is in progress. */
  get wireGapActive(): boolean {
    return this.#wireGapTimer !== undefined;
  }

  /**
   * Sends a DTMF digit like Asterisk 22: no audio while the digit lasts (`durationMs`, default 0), then one
   * `03 00 01 <ascii>` frame when it ends. Resolves once the frame is written.
   */
  async sendDtmf(digit: DtmfDigit, options: { durationMs?: number } = {}): Promise<void> {
    const durationMs = options.durationMs ?? 0;
    if (durationMs > 0) {
      this.pauseAudio();
      try {
        await new Promise<void>((resolve) => {
          const set = this.#opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
          set(resolve, durationMs);
        });
      } finally {
        this.resumeAudio();
      }
    }
    if (this.#state === 'open') this.#socket.write(encodeInboundMessage({ type: 'dtmf', digit }));
  }

  /** Hangs up the way Asterisk does: closes the socket (FIN) without a `0x00` frame. Resolves once closed. */
  hangup(): Promise<DialerCloseInfo> {
    this.#closeLocally('hangup');
    return this.closed;
  }

  /** Every audio payload received, concatenated in order. Empty if payloads were not recorded. */
  receivedAudio(): Buffer {
    return Buffer.concat(this.received.flatMap((f) => (f.kind !== 0 && f.payload ? [f.payload] : [])));
  }

  /** Every audio payload sent, concatenated in order. Empty if `recordSent` was false. */
  sentAudio(): Buffer {
    return Buffer.concat(this.#sentPayloads);
  }

  #onTick(tick: ClockTick, audioFrom: number): void {
    if (this.#state !== 'open' || this.#paused > 0 || tick.scheduledAt < audioFrom) return;
    const gap = this.#wireGap;
    if (gap && this.#framesSent >= gap.afterFrames) {
      this.#wireGap = undefined;
      this.pauseAudio();
      const set = this.#opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
      this.#wireGapTimer = set(() => {
        this.#wireGapTimer = undefined;
        this.resumeAudio();
      }, gap.durationMs);
      return;
    }
    const frameSamples = Math.round((AUDIO_KIND_SAMPLE_RATE[this.#kind] * FRAME_MS) / 1000);
    let payload: Buffer | undefined;
    if (!this.#sourceEnded) {
      payload = this.#source.next(frameSamples);
      if (payload === undefined) this.#sourceEnded = true;
    }
    if (payload === undefined) {
      const mode = this.#opts.onSourceEnd ?? 'silence';
      switch (mode) {
        case 'silence':
          payload = Buffer.alloc(frameSamples * 2);
          break;
        case 'stop':
          return;
        case 'hangup':
          this.#closeLocally('source_ended');
          return;
        default:
          assertNever(mode, 'onSourceEnd');
      }
    }
    const frame = encodeInboundMessage({
      type: 'audio',
      kind: this.#kind,
      sampleRate: AUDIO_KIND_SAMPLE_RATE[this.#kind],
      payload,
    });
    this.#socket.write(frame);
    this.#framesSent += 1;
    if (this.#opts.recordSent ?? true) {
      this.#sentPayloads.push(payload);
      this.sent.push({ scheduledAt: tick.scheduledAt, at: this.#now(), kind: this.#kind, length: payload.length });
    }
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#state === 'closed') return;
    const at = this.#now();
    const messages: AudioSocketMessage[] = [];
    let failure: Error | undefined;
    try {
      this.#decoder.push(chunk, messages);
    } catch (err) {
      failure = err as Error;
    }
    for (const message of messages) {
      if (!this.#accept(message, at)) return;
    }
    if (failure) this.#violation(`Invalid AudioSocket message: ${failure.message}`, failure);
  };

  /** Handles one frame from the server; false once the call is over. */
  #accept(message: AudioSocketMessage, at: number): boolean {
    switch (message.type) {
      case 'audio':
        this.#record({ at, kind: message.kind, length: message.payload.length, payload: message.payload });
        return true;
      case 'hangup':
        this.#record({ at, kind: 0, length: 0, payload: undefined });
        this.#closeInfo ??= { by: 'remote', reason: 'hangup_frame' };
        this.#endSocket();
        return false;
      case 'uuid':
      case 'dtmf':
      case 'error':
        this.#violation(
          `Received AudioSocket message other than hangup or audio (${message.type}), refusing to continue`,
        );
        return false;
      default:
        return assertNever(message, 'AudioSocket message');
    }
  }

  #record(frame: ReceivedFrame): void {
    this.#framesReceived += 1;
    const recorded =
      this.#opts.recordPayloads === false && frame.payload !== undefined ? { ...frame, payload: undefined } : frame;
    if (this.#opts.recordReceived ?? true) this.received.push(recorded);
    this.#opts.onFrame?.(recorded);
  }

  #violation(message: string, cause?: Error): void {
    if (this.#state === 'closed') return;
    this.protocolViolations.push(message);
    this.#closeInfo ??= { by: 'local', reason: 'protocol_violation', error: cause ?? new Error(message) };
    this.#state = 'closing';
    this.#stopSending();
    // Asterisk tears such a socket down with an RST.
    this.#socket.resetAndDestroy();
  }

  #closeLocally(reason: 'hangup' | 'aborted' | 'source_ended'): void {
    if (this.#state !== 'open') return;
    this.#closeInfo ??= { by: 'local', reason };
    this.#endSocket();
  }

  #endSocket(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    this.#stopSending();
    this.#socket.end();
    this.#graceTimer ??= setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
  }

  #stopSending(): void {
    this.#unsubscribe();
    void this.#privateClock?.close();
  }

  readonly #onEnd = (): void => {
    this.#closeInfo ??= { by: 'remote', reason: 'remote_closed' };
    this.#endSocket();
  };

  readonly #onError = (err: Error): void => {
    this.#closeInfo ??= { by: 'remote', reason: 'socket_error', error: err };
  };

  readonly #onClose = (): void => {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#stopSending();
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    if (this.#wireGapTimer !== undefined) {
      const clear = this.#opts.clearTimer ?? ((h: unknown) => clearTimeout(h as NodeJS.Timeout));
      clear(this.#wireGapTimer);
      this.#wireGapTimer = undefined;
    }
    this.#resolveClosed(this.#closeInfo ?? { by: 'remote', reason: 'remote_closed' });
  };
}

/**
 * Dials an AudioSocket server as Asterisk would and starts the call: resolves once connected and the UUID frame is
 * written. Rejects with `AUDIOSOCKET_CONNECT_FAILED` / `AUDIOSOCKET_CONNECT_TIMEOUT` (connectivity, retryable).
 */
export function dialAudioSocket(options: DialAudioSocketOptions): Promise<SimulatedAudioSocketCall> {
  const timeoutMs = options.connectTimeoutMs ?? 2000;
  const kind = options.kind ?? 0x10;
  if (!(kind in AUDIO_KIND_SAMPLE_RATE)) {
    return Promise.reject(new RangeError(`kind ${formatKind(kind)} is not an audio kind`));
  }
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host, port: options.port, noDelay: true });
    let done = false;
    const fail = (err: AppError): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () =>
        fail(
          new AppError(`AudioSocket connect to ${options.host}:${options.port} timed out after ${timeoutMs} ms`, {
            code: 'AUDIOSOCKET_CONNECT_TIMEOUT',
            category: 'connectivity',
            retryable: true,
          }),
        ),
      timeoutMs,
    );
    const onError = (err: Error): void =>
      fail(
        new AppError(`AudioSocket connect to ${options.host}:${options.port} failed: ${err.message}`, {
          code: 'AUDIOSOCKET_CONNECT_FAILED',
          category: 'connectivity',
          retryable: true,
          cause: err,
        }),
      );
    const onAbort = (): void =>
      fail(new AppError('AudioSocket dial aborted', { code: 'AUDIOSOCKET_DIAL_ABORTED', category: 'application' }));
    socket.once('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
      try {
        resolve(new SimulatedAudioSocketCall(socket, options));
      } catch (err) {
        socket.destroy();
        reject(err);
      }
    });
  });
}
