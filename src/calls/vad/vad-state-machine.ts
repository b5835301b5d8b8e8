import { VadError } from './vad-error.js';

/** Hysteresis and duration settings that turn per-window speech probabilities into speech segments. */
export interface VadHysteresisOptions {
  /** A window at or above this probability is speech. Default 0.5 (Silero's default). */
  readonly threshold: number;
  /**
   * Once speech has started, only a window below this probability counts as silence; between the two the
   * previous decision holds. Default `threshold - 0.15` (Silero's rule), at least 0.01.
   */
  readonly negThreshold: number;
  /**
   * Speech must last this long (from the first window at or above `threshold`, with no window below
   * `negThreshold`) before `speechStart` is emitted. Default 160 ms (five 32 ms windows): it rejects clicks,
   * coughs and line bursts (mostly under 100 ms) while adding little to barge-in latency; Silero's offline
   * default of 250 ms is tuned for segmenting recordings, not for interrupting a speaking agent.
   */
  readonly minSpeechMs: number;
  /**
   * Silence (no window at or above `threshold`, counted from the first window below `negThreshold`) needed
   * before `speechEnd` is emitted. Default 400 ms: longer than the pauses inside a sentence (stop closures,
   * breaths, commas: roughly 100–300 ms), short enough that an utterance's end is reported promptly.
   */
  readonly minSilenceMs: number;
  /** Moves a reported start earlier and a reported end later by this much (clamped to the stream). Default 30 ms. */
  readonly speechPadMs: number;
}

export const VAD_DEFAULT_THRESHOLD = 0.5;
export const VAD_DEFAULT_MIN_SPEECH_MS = 160;
export const VAD_DEFAULT_MIN_SILENCE_MS = 400;
export const VAD_DEFAULT_SPEECH_PAD_MS = 30;

/** Fills defaults and checks ranges; throws `VadError` (`VAD_INVALID_OPTIONS`) naming the field at fault. */
export function resolveHysteresisOptions(partial: Partial<VadHysteresisOptions> = {}): VadHysteresisOptions {
  const threshold = partial.threshold ?? VAD_DEFAULT_THRESHOLD;
  const negThreshold = partial.negThreshold ?? Math.max(threshold - 0.15, 0.01);
  const o: VadHysteresisOptions = {
    threshold,
    negThreshold,
    minSpeechMs: partial.minSpeechMs ?? VAD_DEFAULT_MIN_SPEECH_MS,
    minSilenceMs: partial.minSilenceMs ?? VAD_DEFAULT_MIN_SILENCE_MS,
    speechPadMs: partial.speechPadMs ?? VAD_DEFAULT_SPEECH_PAD_MS,
  };
  const bad = (field: string, rule: string) =>
    new VadError('VAD_INVALID_OPTIONS', `VAD option ${field} must be ${rule}`, { field, options: o });
  if (!(o.threshold > 0 && o.threshold <= 1)) throw bad('threshold', 'in (0, 1]');
  if (!(o.negThreshold > 0 && o.negThreshold <= o.threshold)) throw bad('negThreshold', 'in (0, threshold]');
  for (const f of ['minSpeechMs', 'minSilenceMs', 'speechPadMs'] as const) {
    if (!(Number.isFinite(o[f]) && o[f] >= 0)) throw bad(f, 'a finite number ≥ 0');
  }
  return Object.freeze(o);
}

/** Speech began at `atMs` (stream time, pad applied); it was decided at `detectedAtMs`. */
export interface VadSpeechStart {
  readonly atMs: number;
  readonly detectedAtMs: number;
}

/** Speech that began at `atMs - durationMs` ended at `atMs` (pad applied); decided at `detectedAtMs`. */
export interface VadSpeechEnd {
  readonly atMs: number;
  readonly durationMs: number;
  readonly detectedAtMs: number;
}

export type VadDecision =
  | ({ readonly type: 'speechStart' } & VadSpeechStart)
  | ({ readonly type: 'speechEnd' } & VadSpeechEnd);

type Phase = 'silence' | 'onset' | 'speech' | 'offset';

/**
 * The pure speech/silence decision: fed one probability per window, in order, it reports `speechStart` and
 * `speechEnd` with hysteresis and minimum durations. Times are stream time: window `k` spans
 * `[k * windowMs, (k + 1) * windowMs)`. Deterministic: the same probabilities give the same decisions.
 *
 * - silence → onset at the first window ≥ `threshold`; onset → silence at a window < `negThreshold`;
 *   onset → speech (emit `speechStart`) once `minSpeechMs` have passed since the onset window began.
 * - speech → offset at the first window < `negThreshold`; offset → speech at a window ≥ `threshold`;
 *   offset → silence (emit `speechEnd`) once `minSilenceMs` have passed since the offset window began.
 */
export class VadStateMachine {
  readonly options: VadHysteresisOptions;
  readonly windowMs: number;
  #phase: Phase = 'silence';
  #windows = 0;
  #probability = 0;
  /** Start of the window where the current onset or offset candidate began. */
  #candidateMs = 0;
  /** Reported start (pad applied) of the current utterance. */
  #startMs = 0;

  constructor(windowMs: number, options: Partial<VadHysteresisOptions> = {}) {
    if (!(windowMs > 0 && Number.isFinite(windowMs))) {
      throw new VadError('VAD_INVALID_OPTIONS', `window length must be > 0 ms, got ${windowMs}`);
    }
    this.windowMs = windowMs;
    this.options = resolveHysteresisOptions(options);
  }

  /** True between an emitted `speechStart` and its `speechEnd`. */
  get speaking(): boolean {
    return this.#phase === 'speech' || this.#phase === 'offset';
  }

  /** The most recent probability pushed (0 before any). */
  get probability(): number {
    return this.#probability;
  }

  /** Stream time covered by the windows pushed so far. */
  get elapsedMs(): number {
    return this.#windows * this.windowMs;
  }

  /** Consumes the next window's probability; returns the decision it completes, if any. */
  push(probability: number): VadDecision | undefined {
    const { threshold, negThreshold, minSpeechMs, minSilenceMs } = this.options;
    const p = Number.isNaN(probability) ? 0 : probability;
    const startMs = this.#windows * this.windowMs;
    this.#windows += 1;
    const endMs = this.#windows * this.windowMs;
    this.#probability = p;

    switch (this.#phase) {
      case 'silence':
        if (p < threshold) return undefined;
        this.#phase = 'onset';
        this.#candidateMs = startMs;
        return this.#confirmOnset(endMs, minSpeechMs);
      case 'onset':
        if (p < negThreshold) {
          this.#phase = 'silence';
          return undefined;
        }
        return this.#confirmOnset(endMs, minSpeechMs);
      case 'speech':
        if (p >= negThreshold) return undefined;
        this.#phase = 'offset';
        this.#candidateMs = startMs;
        return this.#confirmOffset(endMs, minSilenceMs);
      case 'offset':
        if (p >= threshold) {
          this.#phase = 'speech';
          return undefined;
        }
        return this.#confirmOffset(endMs, minSilenceMs);
    }
  }

  /**
   * Ends the stream: an utterance still open is closed with a `speechEnd` at its pending offset (or the end of
   * the last window), so every `speechStart` gets its `speechEnd`. An unconfirmed onset is discarded.
   */
  finish(): VadDecision | undefined {
    const nowMs = this.elapsedMs;
    const phase = this.#phase;
    this.#phase = 'silence';
    if (phase === 'speech') return this.#end(nowMs, nowMs);
    if (phase === 'offset') return this.#end(this.#candidateMs, nowMs);
    return undefined;
  }

  #confirmOnset(nowMs: number, minSpeechMs: number): VadDecision | undefined {
    if (nowMs - this.#candidateMs < minSpeechMs) return undefined;
    this.#phase = 'speech';
    this.#startMs = Math.max(0, this.#candidateMs - this.options.speechPadMs);
    return { type: 'speechStart', atMs: this.#startMs, detectedAtMs: nowMs };
  }

  #confirmOffset(nowMs: number, minSilenceMs: number): VadDecision | undefined {
    if (nowMs - this.#candidateMs < minSilenceMs) return undefined;
    this.#phase = 'silence';
    return this.#end(this.#candidateMs, nowMs);
  }

  #end(offsetMs: number, nowMs: number): VadDecision {
    const atMs = Math.min(offsetMs + this.options.speechPadMs, nowMs);
    return { type: 'speechEnd', atMs, durationMs: atMs - this.#startMs, detectedAtMs: nowMs };
  }
}
