/** Options of a generated sine tone. */
export interface ToneOptions {
  frequency: number;
  sampleRate: number;
  durationMs: number;
  /** Peak amplitude, 0..1 of full scale. Default 0.5. */
  amplitude?: number;
  /** Starting phase in radians. Default 0. */
  phase?: number;
}

/** A sine tone as PCM16 samples (for simulated callers, tests and benchmarks). */
export function toneSamples(options: ToneOptions): Int16Array {
  const { frequency, sampleRate, durationMs } = options;
  const amplitude = Math.max(0, Math.min(1, options.amplitude ?? 0.5)) * 32767;
  const n = Math.round((sampleRate * durationMs) / 1000);
  const out = new Int16Array(n);
  const step = (2 * Math.PI * frequency) / sampleRate;
  const phase = options.phase ?? 0;
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin(phase + step * i));
  return out;
}
