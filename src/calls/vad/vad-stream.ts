import { TypedEmitter } from '../../lib/typed-emitter.js';
import {
  SILERO_WINDOW_MS,
  type SileroRate,
  type SileroWindowShape,
  isSileroRate,
  sileroWindowShape,
} from './silero-model.js';
import type { VadWindowListener } from './vad-channel.js';
import { VadEnergyGate } from './vad-energy-gate.js';
import { VadError } from './vad-error.js';
import {
  type VadHysteresisOptions,
  type VadSpeechEnd,
  type VadSpeechStart,
  VadStateMachine,
} from './vad-state-machine.js';

/** Where a stream sends its windows: one per stream, from the engine (or a test double). */
export interface VadWindowChannel {
  /** Queues one window: `contextSamples + windowSamples` floats in [-1, 1). Ownership passes to the channel. */
  submit(input: Float32Array): void;
  /** Takes the next window's place without scoring it; it comes back as skipped, in window order. */
  skip(): void;
  /** Idempotent; resolves once the channel has stopped (at once for the engine's channels). */
  close(): Promise<void>;
}

/** Opens a channel at `sampleRate` whose results go to `listener`, in window order. */
export type VadChannelOpener = (sampleRate: SileroRate, listener: VadWindowListener) => VadWindowChannel;

export interface VadStreamOptions extends Partial<VadHysteresisOptions> {
  /** 8000 or 16000: the model runs at the call's own rate. Other rates throw `VAD_UNSUPPORTED_RATE`. */
  readonly sampleRate: number;
  /**
   * Energy gate, dBFS (see {@link VadEnergyGate}): a window whose loudest 8 ms block is below this level, with no
   * window at or above it among the `VAD_GATE_HANGOVER_WINDOWS` before, is not sent to the model and scores 0.
   * Undefined: every window goes to the model.
   */
  readonly energyGateDbfs?: number | undefined;
}

export interface VadProbability {
  /** End of the scored window, in stream time. */
  readonly atMs: number;
  readonly probability: number;
}

export type VadStreamEvents = {
  speechStart: [VadSpeechStart];
  speechEnd: [VadSpeechEnd];
  /** Every scored (or dropped, repeating the last) window's probability. */
  probability: [VadProbability];
  /** The stream can no longer be scored (`VAD_WORKER_FAILED`, `VAD_ENGINE_CLOSED`); later pushes are ignored. */
  failed: [VadError];
};

export interface VadStreamStats {
  readonly samplesPushed: number;
  /** Windows completed: sent to the model, or skipped by the energy gate. */
  readonly windowsSubmitted: number;
  readonly windowsScored: number;
  /** Windows the engine dropped under overload; each counts as a repeat of the previous probability. */
  readonly windowsDropped: number;
  /** Windows the energy gate kept from the model; each scored 0. */
  readonly windowsSkipped: number;
}

/**
 * Voice-activity detection for one call's inbound audio. `push` takes PCM16 at the stream's rate in any chunk
 * size (normally 20 ms frames); the stream cuts it into 32 ms model windows (256 samples at 8 kHz, 512 at
 * 16 kHz), each prefixed with the last 32/64 samples of the previous one as the model expects, and submits them
 * to the engine. Probabilities come back asynchronously and in order; a `VadStateMachine` turns them into
 * `speechStart` / `speechEnd` events. All times are stream time: milliseconds of audio pushed, counted in whole
 * windows. A window the engine drops under overload counts as a repeat of the previous probability, so stream
 * time stays exact; such a drop can be reported (and its events emitted) from within `push`.
 */
export class VadStream extends TypedEmitter<VadStreamEvents> {
  readonly sampleRate: SileroRate;
  readonly #shape: SileroWindowShape;
  readonly #machine: VadStateMachine;
  readonly #channel: VadWindowChannel;
  /** The window being filled: context already in place, new samples from `contextSamples` on. */
  #window: Float32Array;
  #fill: number;
  #closed = false;
  #closing: Promise<void> | undefined;
  #failure: VadError | undefined;
  #samplesPushed = 0;
  #windowsSubmitted = 0;
  #windowsScored = 0;
  #windowsDropped = 0;
  #windowsSkipped = 0;
  readonly #gate: VadEnergyGate | undefined;

  constructor(options: VadStreamOptions, open: VadChannelOpener) {
    super();
    const { sampleRate, energyGateDbfs, ...hysteresis } = options;
    if (!isSileroRate(sampleRate)) {
      throw new VadError(
        'VAD_UNSUPPORTED_RATE',
        `VAD runs at 8000 or 16000 Hz, not ${sampleRate}; resample the stream first`,
        { sampleRate },
      );
    }
    this.sampleRate = sampleRate;
    this.#shape = sileroWindowShape(sampleRate);
    this.#machine = new VadStateMachine(SILERO_WINDOW_MS, hysteresis);
    this.#window = new Float32Array(this.#shape.inputSize);
    this.#fill = this.#shape.contextSamples;
    this.#gate = energyGateDbfs === undefined ? undefined : new VadEnergyGate(this.#shape, energyGateDbfs);
    this.#channel = open(sampleRate, {
      onProbability: (p) => this.#score(p, 'scored'),
      onDropped: () => this.#score(this.#machine.probability, 'dropped'),
      onSkipped: () => this.#score(0, 'skipped'),
      onError: (err) => this.#fail(err),
    });
  }

  /** The hysteresis settings in force (defaults filled). */
  get options(): VadHysteresisOptions {
    return this.#machine.options;
  }

  /** Latest window's speech probability (0 before the first result). */
  get probability(): number {
    return this.#machine.probability;
  }

  /** True between `speechStart` and `speechEnd`. */
  get speaking(): boolean {
    return this.#machine.speaking;
  }

  /** Stream time scored so far (results received). */
  get scoredMs(): number {
    return this.#machine.elapsedMs;
  }

  /** The error that stopped the stream, if any. */
  get failure(): VadError | undefined {
    return this.#failure;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get stats(): VadStreamStats {
    return {
      samplesPushed: this.#samplesPushed,
      windowsSubmitted: this.#windowsSubmitted,
      windowsScored: this.#windowsScored,
      windowsDropped: this.#windowsDropped,
      windowsSkipped: this.#windowsSkipped,
    };
  }

  /** Adds PCM16 samples at `sampleRate`. Ignored after `close()` or a failure. Never blocks on inference. */
  push(pcm: Int16Array): void {
    if (this.#closed || this.#failure) return;
    this.#samplesPushed += pcm.length;
    const { inputSize, contextSamples } = this.#shape;
    let i = 0;
    while (i < pcm.length) {
      const n = Math.min(pcm.length - i, inputSize - this.#fill);
      const w = this.#window;
      for (let k = 0; k < n; k++) w[this.#fill + k] = (pcm[i + k] as number) / 32768;
      this.#fill += n;
      i += n;
      if (this.#fill === inputSize) {
        this.#fill = contextSamples;
        this.#windowsSubmitted += 1;
        if (this.#gate && !this.#gate.admits(w)) {
          // Nothing holds on to a skipped window: the same array takes the next one, its context moved in front.
          w.copyWithin(0, inputSize - contextSamples);
          this.#channel.skip();
        } else {
          const next = new Float32Array(inputSize);
          next.set(w.subarray(inputSize - contextSamples));
          this.#window = next;
          this.#channel.submit(w);
        }
      }
    }
  }

  /**
   * Stops detection: pending windows are discarded; an utterance still open ends with a final `speechEnd` at the
   * last scored window (so every `speechStart` has its end), synchronously. Idempotent; every call returns the same
   * promise, settled once the channel has closed.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#closing = this.#channel.close();
    const last = this.#machine.finish();
    if (last?.type === 'speechEnd')
      this.emit('speechEnd', { atMs: last.atMs, durationMs: last.durationMs, detectedAtMs: last.detectedAtMs });
    return this.#closing;
  }

  #score(probability: number, how: 'scored' | 'dropped' | 'skipped'): void {
    if (this.#closed) return;
    if (how === 'dropped') this.#windowsDropped += 1;
    else if (how === 'skipped') this.#windowsSkipped += 1;
    else this.#windowsScored += 1;
    const decision = this.#machine.push(probability);
    this.emit('probability', { atMs: this.#machine.elapsedMs, probability: this.#machine.probability });
    if (!decision) return;
    if (decision.type === 'speechStart') {
      this.emit('speechStart', { atMs: decision.atMs, detectedAtMs: decision.detectedAtMs });
    } else {
      this.emit('speechEnd', {
        atMs: decision.atMs,
        durationMs: decision.durationMs,
        detectedAtMs: decision.detectedAtMs,
      });
    }
  }

  #fail(error: VadError): void {
    if (this.#closed || this.#failure) return;
    this.#failure = error;
    this.emit('failed', error);
  }
}
