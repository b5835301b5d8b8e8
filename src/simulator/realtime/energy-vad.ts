/** A speech boundary the energy detector found, in ms of appended audio. */
export type EnergyVadEvent =
  | { readonly type: 'start'; readonly atMs: number }
  | { readonly type: 'stop'; readonly atMs: number };

export interface EnergyVadOptions {
  readonly sampleRate: number;
  /** RMS (int16 scale) above which a 10 ms window counts as voiced. Default 500 (about -36 dBFS). */
  readonly thresholdRms?: number;
  /** Voiced time before speech starts. Default 60 ms. */
  readonly minSpeechMs?: number;
  /** Unvoiced time before speech stops (the server's `silence_duration_ms`). Default 500 ms. */
  readonly silenceDurationMs?: number;
}

/**
 * The simulated server's turn detector: 10 ms windows of the appended audio, voiced when their RMS is over a
 * threshold. Speech starts once `minSpeechMs` are voiced in a row (reported at the first voiced window) and stops
 * after `silenceDurationMs` unvoiced (reported at the end of the last voiced window). Times count the audio
 * appended since the session began, as `audio_start_ms`/`audio_end_ms` do.
 */
export class EnergyVad {
  readonly #rate: number;
  readonly #window: number;
  readonly #threshold: number;
  readonly #minSpeechWindows: number;
  #silenceWindows: number;
  #sumSquares = 0;
  #inWindow = 0;
  #windows = 0;
  #voicedRun = 0;
  #voicedRunStart = 0;
  #unvoicedRun = 0;
  #lastVoicedEnd = 0;
  #speaking = false;

  constructor(options: EnergyVadOptions) {
    this.#rate = options.sampleRate;
    this.#window = Math.max(1, Math.round(options.sampleRate / 100));
    this.#threshold = options.thresholdRms ?? 500;
    this.#minSpeechWindows = Math.max(1, Math.round((options.minSpeechMs ?? 60) / 10));
    this.#silenceWindows = Math.max(1, Math.round((options.silenceDurationMs ?? 500) / 10));
  }

  get speaking(): boolean {
    return this.#speaking;
  }

  /** Milliseconds of audio seen so far. */
  get audioMs(): number {
    return (this.#windows * this.#window + this.#inWindow) * (1000 / this.#rate);
  }

  setSilenceDuration(ms: number): void {
    this.#silenceWindows = Math.max(1, Math.round(ms / 10));
  }

  /** Feeds samples; returns the boundaries they completed. */
  push(samples: Int16Array): EnergyVadEvent[] {
    const events: EnergyVadEvent[] = [];
    for (let i = 0; i < samples.length; i++) {
      const v = samples[i]!;
      this.#sumSquares += v * v;
      this.#inWindow += 1;
      if (this.#inWindow === this.#window) this.#endWindow(events);
    }
    return events;
  }

  #endWindow(events: EnergyVadEvent[]): void {
    const voiced = Math.sqrt(this.#sumSquares / this.#window) >= this.#threshold;
    const startMs = this.#windows * 10;
    this.#windows += 1;
    this.#sumSquares = 0;
    this.#inWindow = 0;
    if (voiced) {
      if (this.#voicedRun === 0) this.#voicedRunStart = startMs;
      this.#voicedRun += 1;
      this.#unvoicedRun = 0;
      this.#lastVoicedEnd = startMs + 10;
      if (!this.#speaking && this.#voicedRun >= this.#minSpeechWindows) {
        this.#speaking = true;
        events.push({ type: 'start', atMs: this.#voicedRunStart });
      }
      return;
    }
    this.#voicedRun = 0;
    if (!this.#speaking) return;
    this.#unvoicedRun += 1;
    if (this.#unvoicedRun >= this.#silenceWindows) {
      this.#speaking = false;
      this.#unvoicedRun = 0;
      events.push({ type: 'stop', atMs: this.#lastVoicedEnd });
    }
  }
}
