import type { SileroWindowShape } from './silero-model.js';
import { VadError } from './vad-error.js';

/** Default level of the energy gate, dBFS: see `VadEnergyGate`. */
export const VAD_DEFAULT_GATE_DBFS = -65;
/** Lowest and highest gate levels accepted, dBFS. */
export const VAD_GATE_MIN_DBFS = -96;
export const VAD_GATE_MAX_DBFS = -30;
/**
 * Windows that still go to the model after the last one at or above the gate level: 8 (256 ms). Silero's
 * probability decays over several windows once speech stops (up to six below the 0.35 release level for speech at
 * -40 dB on the speech fixtures), so the model sees that decay and an utterance ends as it would ungated; pauses
 * inside a sentence are shorter, so the model's state follows the whole utterance.
 */
export const VAD_GATE_HANGOVER_WINDOWS = 8;
/** The gate measures a window in blocks of this many ms and takes the loudest. */
const GATE_BLOCK_MS = 8;

/**
 * Decides, per 32 ms model window, whether the window could hold speech and must go to Silero. A window passes when
 * the mean power of its loudest 8 ms block is at or above the gate level, or when one of the
 * `VAD_GATE_HANGOVER_WINDOWS` windows before it did; any other window is skipped and scores 0. So the first window
 * of an onset always reaches the model. After a long run of skipped windows the engine starts the model from its
 * settled-silence state (see `VadChannel.skip`).
 *
 * Calibration (the speech fixtures, `test/fixtures/speech`; figures in docs/operations.md): their speech windows
 * peak at -12 to -40 dBFS. Down to 30 dB below that, with or without a -70 dBFS noise floor, onsets and ends come
 * within one window of the ungated ones. 40 dB below (the first speech windows near -60 dBFS) the default of -65
 * still passes them without noise, but over a -70 dBFS floor onsets come late or are missed. Digital silence, the
 * idle noise of a G.711 line and comfort noise (about -70 dBFS and below) stay under the default.
 */
export class VadEnergyGate {
  readonly levelDbfs: number;
  readonly #powerFloor: number;
  readonly #from: number;
  readonly #blockSamples: number;
  readonly #blocks: number;
  #hangover = 0;

  constructor(shape: SileroWindowShape, levelDbfs: number) {
    if (!(Number.isFinite(levelDbfs) && levelDbfs >= VAD_GATE_MIN_DBFS && levelDbfs <= VAD_GATE_MAX_DBFS)) {
      throw new VadError(
        'VAD_INVALID_OPTIONS',
        `VAD energy gate must be within ${VAD_GATE_MIN_DBFS}…${VAD_GATE_MAX_DBFS} dBFS, got ${levelDbfs}`,
        { field: 'energyGateDbfs' },
      );
    }
    this.levelDbfs = levelDbfs;
    // Samples are floats in [-1, 1): full scale is power 1.
    this.#powerFloor = 10 ** (levelDbfs / 10);
    this.#from = shape.contextSamples;
    this.#blockSamples = (shape.sampleRate * GATE_BLOCK_MS) / 1000;
    this.#blocks = shape.windowSamples / this.#blockSamples;
  }

  /** Whether `window` (context, then the window's new samples) goes to the model. Call once per window, in order. */
  admits(window: Float32Array): boolean {
    if (this.#loud(window)) {
      this.#hangover = VAD_GATE_HANGOVER_WINDOWS;
      return true;
    }
    if (this.#hangover === 0) return false;
    this.#hangover -= 1;
    return true;
  }

  #loud(window: Float32Array): boolean {
    const n = this.#blockSamples;
    const floor = this.#powerFloor * n;
    let at = this.#from;
    for (let b = 0; b < this.#blocks; b++) {
      let energy = 0;
      for (let end = at + n; at < end; at++) {
        const v = window[at] as number;
        energy += v * v;
      }
      if (energy >= floor) return true;
    }
    return false;
  }
}
