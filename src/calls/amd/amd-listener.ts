import { BeepDetector } from '../../audio/beep-detector.js';
import { type AudioFormat, pcmSamples } from '../../audio/format.js';
import type { AmdSettings } from '../../config/amd-config.js';
import type { Logger } from '../../observability/logger.js';
import type { MediaLeg, SpeechDetector, SpeechDetectorFactory } from '../media-leg.js';
import { speechDetectorForRate } from '../speech-at-rate.js';
import { SILERO_WINDOW_MS } from '../vad/silero-model.js';
import { AmdClassifier, type AmdDecision } from './amd-classifier.js';
import type { AmdResult } from './amd-result.js';

/** Wall-clock slack past the stream-time limits, for a leg that sends late or no audio. */
const WALL_SLACK_MS = 2000;

export interface AmdListenOptions {
  readonly settings: AmdSettings;
  readonly leg: Pick<MediaLeg, 'on' | 'off'>;
  /** Speech detectors (Silero); without one, adapter mode reports `notsure` (`NOAUDIO`). */
  readonly speech: SpeechDetectorFactory | undefined;
  /** Asterisk's verdict (mode `asterisk`): not classified again, only the beep is waited for. */
  readonly asterisk?: AmdResult | undefined;
  readonly callId: string;
  readonly log: Logger;
  /** The call ends: listening stops and the result so far is returned. */
  readonly signal: AbortSignal;
}

/**
 * Answering-machine detection on a live call, before its agent starts: listens to the callee's audio on the media
 * leg, classifies it (`AmdClassifier` over VAD probabilities, `BeepDetector` over the samples) unless Asterisk
 * already did, and for a machine whose route leaves a message waits for the beep to end (or `beepWaitMs`).
 * Always resolves, with the verdict; it never holds the call longer than the configured limits plus a slack.
 */
export function listenForAnsweringMachine(o: AmdListenOptions): Promise<AmdResult> {
  return new Promise((resolve) => new AmdListener(o, resolve).start());
}

class AmdListener {
  readonly #o: AmdListenOptions;
  readonly #resolve: (r: AmdResult) => void;
  readonly #classifier: AmdClassifier;
  #beeps: BeepDetector | undefined;
  #speech: SpeechDetector | undefined;
  #verdict: AmdResult | undefined;
  #beepEndMs: number | undefined;
  #done = false;
  #listening = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #onAudio = (frame: Buffer, format: AudioFormat) => this.#audio(frame, format);
  readonly #onAbort = () => this.#finish();

  constructor(o: AmdListenOptions, resolve: (r: AmdResult) => void) {
    this.#o = o;
    this.#resolve = resolve;
    this.#classifier = new AmdClassifier(o.settings);
  }

  start(): void {
    const { asterisk, settings, speech } = this.#o;
    if (this.#o.signal.aborted) {
      this.#verdict = asterisk ?? this.#fromDecision(this.#classifier.giveUp('NOAUDIO', 0));
      this.#finish();
      return;
    }
    this.#o.signal.addEventListener('abort', this.#onAbort, { once: true });
    if (asterisk) {
      this.#decided(asterisk);
      return;
    }
    if (!speech) {
      this.#o.log.warn('answering-machine detection needs the VAD (VAD=silero); reporting notsure');
      this.#decided(this.#fromDecision(this.#classifier.giveUp('NOAUDIO', 0)));
      return;
    }
    this.#listen();
    this.#timer = setTimeout(() => {
      const heard = this.#beeps?.elapsedMs ?? 0;
      this.#decided(this.#fromDecision(this.#classifier.giveUp(heard > 0 ? 'TOOLONG' : 'NOAUDIO', heard)));
    }, settings.totalAnalysisMs + WALL_SLACK_MS);
  }

  #audio(frame: Buffer, format: AudioFormat): void {
    if (this.#done) return;
    if (format.encoding !== 'pcm16') {
      if (!this.#verdict) this.#decided(this.#fromDecision(this.#classifier.giveUp('NOAUDIO', 0)));
      else this.#finish();
      return;
    }
    const samples = pcmSamples(frame);
    if (!this.#beeps) {
      this.#beeps = new BeepDetector({ sampleRate: format.sampleRate });
      if (!this.#verdict && this.#o.speech) this.#startSpeech(format);
    }
    this.#speech?.push(samples);
    for (const beep of this.#beeps.push(samples)) {
      this.#o.log.info({ beepStartMs: beep.startMs, beepEndMs: beep.endMs, freqHz: beep.freqHz }, 'beep heard');
      this.#beepEndMs = beep.endMs;
      if (!this.#verdict) this.#decided(this.#fromDecision(this.#classifier.beep(beep.endMs)));
      else this.#finish();
      if (this.#done) return;
    }
    const elapsed = this.#beeps.elapsedMs;
    if (!this.#verdict && elapsed >= this.#o.settings.totalAnalysisMs + WALL_SLACK_MS / 2)
      this.#decided(this.#fromDecision(this.#classifier.giveUp('TOOLONG', elapsed)));
    else if (this.#verdict && elapsed >= this.#o.settings.beepWaitMs && !this.#beeps.sounding) this.#finish();
  }

  #startSpeech(format: AudioFormat): void {
    try {
      const detector = speechDetectorForRate(
        this.#o.speech as SpeechDetectorFactory,
        format.sampleRate,
        this.#o.callId,
      );
      detector.on('probability', (e) => {
        if (this.#verdict) return;
        const d = this.#classifier.window(e.atMs, SILERO_WINDOW_MS, e.probability);
        if (d) this.#decided(this.#fromDecision(d));
      });
      this.#speech = detector;
    } catch (err) {
      this.#o.log.warn({ err }, 'answering-machine detection could not start the VAD; reporting notsure');
      this.#decided(this.#fromDecision(this.#classifier.giveUp('NOAUDIO', 0)));
    }
  }

  #fromDecision(d: AmdDecision): AmdResult {
    return { mode: 'adapter', result: d.result, cause: d.cause, decisionMs: d.decisionMs };
  }

  /** The verdict is known; a machine that gets a message still waits for its beep. */
  #decided(verdict: AmdResult): void {
    if (this.#verdict || this.#done) return;
    this.#verdict = verdict;
    this.#stopSpeech();
    clearTimeout(this.#timer);
    const waitForBeep = verdict.result === 'machine' && this.#o.settings.machine === 'message';
    if (!waitForBeep || this.#beepEndMs !== undefined) {
      this.#finish();
      return;
    }
    this.#listen();
    this.#timer = setTimeout(() => this.#finish(), this.#o.settings.beepWaitMs + WALL_SLACK_MS);
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    this.#o.leg.on('audio', this.#onAudio);
  }

  #stopSpeech(): void {
    const speech = this.#speech;
    this.#speech = undefined;
    if (speech) void speech.close().catch(() => {});
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.#stopSpeech();
    this.#o.leg.off('audio', this.#onAudio);
    this.#o.signal.removeEventListener('abort', this.#onAbort);
    const verdict =
      this.#verdict ?? this.#fromDecision(this.#classifier.giveUp('NOAUDIO', this.#beeps?.elapsedMs ?? 0));
    const waited = verdict.result === 'machine' && this.#o.settings.machine === 'message';
    this.#resolve(
      waited
        ? {
            ...verdict,
            beep: this.#beepEndMs !== undefined,
            ...(this.#beepEndMs !== undefined ? { beepEndMs: this.#beepEndMs } : {}),
          }
        : verdict,
    );
  }
}
