import type { AmdSettings } from '../../config/amd-config.js';
import type { AmdCause, AmdVerdict } from './amd-result.js';

/** A decision of the classifier, at `decisionMs` of callee audio. */
export interface AmdDecision {
  readonly result: AmdVerdict;
  readonly cause: AmdCause;
  readonly decisionMs: number;
}

/** A window at or above this speech probability starts or continues a word. */
const VOICED = 0.5;
/** Once in a word, only a window below this ends its voiced stretch (Silero's hysteresis rule). */
const UNVOICED = 0.35;
/** A pause shorter than this inside a word (a stop closure, a breath) does not end it. */
const BETWEEN_WORDS_MS = 150;

export type AmdClassifierSettings = Pick<
  AmdSettings,
  'totalAnalysisMs' | 'initialSilenceMs' | 'greetingMs' | 'afterGreetingSilenceMs' | 'maxWords' | 'minWordMs'
>;

/**
 * Tells a live answer from an answering machine by the shape of what the callee says first, in the way Asterisk's
 * AMD() does, but on VAD speech probabilities instead of an energy threshold: a human says a few words
 * ("hello?") and waits; a machine plays a long greeting, often many words, and ends with a beep.
 * Fed one VAD window at a time (stream time), and beeps as they are heard, it decides once:
 * - a beep → machine (`BEEP`);
 * - voiced time in the greeting ≥ `greetingMs` → machine (`LONGGREETING`); `maxWords` words → `MAXWORDS`;
 * - at least one word, then `afterGreetingSilenceMs` of silence → human (`HUMAN`);
 * - no word within `initialSilenceMs` → notsure (`INITIALSILENCE`; Asterisk says machine, but a callee who
 *   picks up and waits for the caller to speak is common on outbound calls);
 * - `totalAnalysisMs` without a decision → notsure (`TOOLONG`).
 * Pure and deterministic: the same windows give the same decision.
 */
export class AmdClassifier {
  readonly #s: AmdClassifierSettings;
  #decision: AmdDecision | undefined;
  #words = 0;
  #voicedMs = 0;
  #inWord = false;
  #wordStart = 0;
  #wordCounted = false;
  #lastVoicedEnd = 0;
  #elapsedMs = 0;

  constructor(settings: AmdClassifierSettings) {
    this.#s = settings;
  }

  get decision(): AmdDecision | undefined {
    return this.#decision;
  }

  /** Words counted so far. */
  get words(): number {
    return this.#words;
  }

  /** One VAD window ending at `atMs` (stream time) of `windowMs` with its speech probability. */
  window(atMs: number, windowMs: number, probability: number): AmdDecision | undefined {
    if (this.#decision) return this.#decision;
    this.#elapsedMs = atMs;
    const s = this.#s;
    const voiced = probability >= VOICED || (this.#inWord && probability >= UNVOICED);
    if (voiced) {
      if (!this.#inWord) {
        this.#inWord = true;
        this.#wordStart = atMs - windowMs;
        this.#wordCounted = false;
      }
      this.#lastVoicedEnd = atMs;
      this.#voicedMs += windowMs;
      if (!this.#wordCounted && atMs - this.#wordStart >= s.minWordMs) {
        this.#wordCounted = true;
        this.#words += 1;
        if (this.#words >= s.maxWords) return this.#decide('machine', 'MAXWORDS', atMs);
      }
      if (this.#voicedMs >= s.greetingMs) return this.#decide('machine', 'LONGGREETING', atMs);
    } else if (this.#inWord && atMs - this.#lastVoicedEnd >= BETWEEN_WORDS_MS) {
      this.#inWord = false;
    }
    if (!this.#inWord) {
      if (this.#words > 0 && atMs - this.#lastVoicedEnd >= s.afterGreetingSilenceMs)
        return this.#decide('human', 'HUMAN', atMs);
      if (this.#words === 0 && atMs >= s.initialSilenceMs) return this.#decide('notsure', 'INITIALSILENCE', atMs);
    }
    if (atMs >= s.totalAnalysisMs) return this.#decide('notsure', 'TOOLONG', atMs);
    return undefined;
  }

  /** A beep was heard ending at `endMs`: a machine, unless already decided. */
  beep(endMs: number): AmdDecision {
    return this.#decision ?? this.#decide('machine', 'BEEP', Math.max(endMs, this.#elapsedMs));
  }

  /** Decides `notsure` with `cause` now (no audio, VAD failed, time ran out on the wall clock). */
  giveUp(cause: AmdCause, atMs: number): AmdDecision {
    return this.#decision ?? this.#decide('notsure', cause, atMs);
  }

  #decide(result: AmdVerdict, cause: AmdCause, decisionMs: number): AmdDecision {
    this.#decision = { result, cause, decisionMs };
    return this.#decision;
  }
}
