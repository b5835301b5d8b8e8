/**
 * Measurement of test tones in int16 (or float) sample buffers: tone generation, least-squares sine fits, frequency
 * estimation, RMS/dBFS, THD+N and Goertzel power. Pure functions used by the tests, the benchmarks and audio
 * comparisons. Levels in dBFS are relative to a full-scale sine (amplitude 32768), so a sine of amplitude A is at
 * 20·log10(A / 32768) dBFS whatever its RMS.
 */

/** Full-scale amplitude of int16 audio. */
export const FULL_SCALE = 32768;

/** A range of sample indices, `start` inclusive, `end` exclusive (defaults: the whole buffer). */
export interface SampleRange {
  readonly start?: number;
  readonly end?: number;
}

export interface ToneSpec {
  /** Sample rate, Hz. */
  readonly rate: number;
  /** Frequency, Hz. */
  readonly freq: number;
  /** Peak amplitude in int16 units (see {@link dbfsToAmplitude}). */
  readonly amplitude: number;
  /** Duration; the tone has `round(rate × ms / 1000)` samples. */
  readonly ms: number;
  /** Phase at sample 0, radians: sample i is `amplitude · sin(2π·freq·i/rate + phase)`. Default 0. */
  readonly phase?: number;
}

/** One sinusoid found by a fit: `amplitude · sin(2π·freq·i/rate + phase)`, i counted from the buffer's start. */
export interface FittedTone {
  readonly freq: number;
  readonly amplitude: number;
  readonly phase: number;
}

export interface MultiToneFit {
  /** Constant offset. */
  readonly dc: number;
  /** One entry per requested frequency, in the same order. */
  readonly tones: readonly FittedTone[];
  /** RMS of what the DC and tones leave unexplained over the fitted range. */
  readonly residualRms: number;
  /** Number of samples fitted. */
  readonly samples: number;
}

export interface SineFit extends FittedTone {
  readonly dc: number;
  readonly residualRms: number;
  readonly samples: number;
}

/** Peak amplitude of a sine at `dbfs`. */
export function dbfsToAmplitude(dbfs: number): number {
  return FULL_SCALE * 10 ** (dbfs / 20);
}

/** Level, dBFS, of a sine of peak `amplitude`. */
export function amplitudeToDbfs(amplitude: number): number {
  return 20 * Math.log10(amplitude / FULL_SCALE);
}

/** A ratio of amplitudes in dB. */
export function ratioDb(amplitude: number, reference: number): number {
  return 20 * Math.log10(amplitude / reference);
}

/** A sine tone as int16 samples, rounded to nearest and clamped. */
export function generateTone(spec: ToneSpec): Int16Array {
  const { rate, freq, amplitude, ms } = spec;
  const phase = spec.phase ?? 0;
  const n = Math.round((rate * ms) / 1000);
  const out = new Int16Array(n);
  const w = (2 * Math.PI * freq) / rate;
  for (let i = 0; i < n; i++) {
    out[i] = Math.min(32767, Math.max(-32768, Math.round(amplitude * Math.sin(w * i + phase))));
  }
  return out;
}

function bounds(samples: ArrayLike<number>, range: SampleRange | undefined): [number, number] {
  const start = Math.max(0, Math.floor(range?.start ?? 0));
  const end = Math.min(samples.length, Math.floor(range?.end ?? samples.length));
  if (end <= start) throw new RangeError(`empty sample range ${start}…${end} of ${samples.length}`);
  return [start, end];
}

/** Root mean square over the range. */
export function rms(samples: ArrayLike<number>, range?: SampleRange): number {
  const [start, end] = bounds(samples, range);
  let sum = 0;
  for (let i = start; i < end; i++) {
    const v = samples[i] as number;
    sum += v * v;
  }
  return Math.sqrt(sum / (end - start));
}

/** RMS level in dBFS (a full-scale sine is 0 dBFS; silence is -Infinity). */
export function rmsDbfs(samples: ArrayLike<number>, range?: SampleRange): number {
  return 20 * Math.log10((rms(samples, range) * Math.SQRT2) / FULL_SCALE);
}

/** Solves the square system `a·x = b` in place by Gaussian elimination with partial pivoting. */
function solve(a: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs((a[r] as Float64Array)[col] as number) > Math.abs((a[pivot] as Float64Array)[col] as number)) {
        pivot = r;
      }
    }
    if (pivot !== col) {
      [a[col], a[pivot]] = [a[pivot] as Float64Array, a[col] as Float64Array];
      [b[col], b[pivot]] = [b[pivot] as number, b[col] as number];
    }
    const rowC = a[col] as Float64Array;
    const p = rowC[col] as number;
    if (p === 0) throw new RangeError('singular fit: frequencies too close together for the range, or repeated');
    for (let r = col + 1; r < n; r++) {
      const row = a[r] as Float64Array;
      const factor = (row[col] as number) / p;
      if (factor === 0) continue;
      for (let k = col; k < n; k++) row[k] = (row[k] as number) - factor * (rowC[k] as number);
      b[r] = (b[r] as number) - factor * (b[col] as number);
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    const row = a[r] as Float64Array;
    let s = b[r] as number;
    for (let k = r + 1; k < n; k++) s -= (row[k] as number) * (x[k] as number);
    x[r] = s / (row[r] as number);
  }
  return x;
}

/**
 * Least-squares fit of a constant plus one sinusoid at each of `freqs` (known frequencies) over the range.
 * Fitting all tones together measures each one without leakage from the others, whatever the window length.
 */
export function fitSines(
  samples: ArrayLike<number>,
  rate: number,
  freqs: readonly number[],
  range?: SampleRange,
): MultiToneFit {
  const [start, end] = bounds(samples, range);
  const k = freqs.length;
  const size = 2 * k + 1;
  const ata = Array.from({ length: size }, () => new Float64Array(size));
  const atb = new Float64Array(size);
  const basis = new Float64Array(size);
  // Basis at sample i: [1, cos(w0·i), sin(w0·i), cos(w1·i), …], advanced by exact per-sample rotation.
  const rotC = freqs.map((f) => Math.cos((2 * Math.PI * f) / rate));
  const rotS = freqs.map((f) => Math.sin((2 * Math.PI * f) / rate));
  const setBasisAt = (i: number): void => {
    basis[0] = 1;
    for (let j = 0; j < k; j++) {
      const ph = (2 * Math.PI * (freqs[j] as number) * i) / rate;
      basis[1 + 2 * j] = Math.cos(ph);
      basis[2 + 2 * j] = Math.sin(ph);
    }
  };
  const step = (): void => {
    for (let j = 0; j < k; j++) {
      const c = basis[1 + 2 * j] as number;
      const s = basis[2 + 2 * j] as number;
      const rc = rotC[j] as number;
      const rs = rotS[j] as number;
      basis[1 + 2 * j] = c * rc - s * rs;
      basis[2 + 2 * j] = s * rc + c * rs;
    }
  };
  const RESYNC = 1024;
  for (let i = start; i < end; i++) {
    if ((i - start) % RESYNC === 0) setBasisAt(i);
    const y = samples[i] as number;
    for (let r = 0; r < size; r++) {
      const br = basis[r] as number;
      atb[r] = (atb[r] as number) + br * y;
      const row = ata[r] as Float64Array;
      for (let c = r; c < size; c++) row[c] = (row[c] as number) + br * (basis[c] as number);
    }
    step();
  }
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < r; c++) (ata[r] as Float64Array)[c] = (ata[c] as Float64Array)[r] as number;
  }
  const coef = solve(ata, atb);
  let resid = 0;
  for (let i = start; i < end; i++) {
    if ((i - start) % RESYNC === 0) setBasisAt(i);
    let model = 0;
    for (let r = 0; r < size; r++) model += (coef[r] as number) * (basis[r] as number);
    const e = (samples[i] as number) - model;
    resid += e * e;
    step();
  }
  const tones = freqs.map((freq, j) => {
    // a·cos + b·sin = A·sin(θ + φ) with a = A·sin φ, b = A·cos φ.
    const a = coef[1 + 2 * j] as number;
    const b = coef[2 + 2 * j] as number;
    return { freq, amplitude: Math.hypot(a, b), phase: Math.atan2(a, b) };
  });
  return { dc: coef[0] as number, tones, residualRms: Math.sqrt(resid / (end - start)), samples: end - start };
}

/** Least-squares fit of `dc + amplitude · sin(2π·freq·i/rate + phase)` at a known frequency. */
export function fitSine(samples: ArrayLike<number>, rate: number, freq: number, range?: SampleRange): SineFit {
  const fit = fitSines(samples, rate, [freq], range);
  const tone = fit.tones[0] as FittedTone;
  return { ...tone, dc: fit.dc, residualRms: fit.residualRms, samples: fit.samples };
}

/**
 * Frequency of the single dominant tone in the range. A first estimate comes from the spacing of upward crossings
 * of the mean (with hysteresis, so noise near a crossing does not count twice); it is then refined from the phase
 * drift between least-squares fits over the two halves of the range, which converges to the tone's frequency
 * without the bias an amplitude-maximising search gets from harmonics. Needs at least three cycles.
 */
export function estimateFrequency(samples: ArrayLike<number>, rate: number, range?: SampleRange): number {
  const [start, end] = bounds(samples, range);
  let mean = 0;
  for (let i = start; i < end; i++) mean += samples[i] as number;
  mean /= end - start;
  let power = 0;
  for (let i = start; i < end; i++) power += ((samples[i] as number) - mean) ** 2;
  const hysteresis = 0.25 * Math.sqrt(power / (end - start));
  let armed = false;
  let first = -1;
  let last = -1;
  let crossings = 0;
  for (let i = start + 1; i < end; i++) {
    const a = (samples[i - 1] as number) - mean;
    const b = (samples[i] as number) - mean;
    if (b < -hysteresis) armed = true;
    if (armed && a < 0 && b >= 0) {
      const t = i - 1 + a / (a - b);
      if (first < 0) first = t;
      last = t;
      crossings++;
      armed = false;
    }
  }
  if (crossings < 3) throw new RangeError('too few cycles in range to estimate a frequency');
  let freq = ((crossings - 1) * rate) / (last - first);
  const mid = Math.floor((start + end) / 2);
  const spacing = (end - start) / 2;
  for (let it = 0; it < 4; it++) {
    const p1 = fitSine(samples, rate, freq, { start, end: mid }).phase;
    const p2 = fitSine(samples, rate, freq, { start: mid, end }).phase;
    let dphi = p2 - p1;
    dphi -= 2 * Math.PI * Math.round(dphi / (2 * Math.PI));
    freq += (dphi * rate) / (2 * Math.PI * spacing);
  }
  return freq;
}

/**
 * THD+N in dB relative to the fundamental: the RMS of everything but the DC and a sine fitted at `freq` (estimated
 * when omitted), over the fundamental's RMS. Skip start/end transients with `range`.
 */
export function thdN(samples: ArrayLike<number>, rate: number, freq?: number, range?: SampleRange): number {
  const f = freq ?? estimateFrequency(samples, rate, range);
  const fit = fitSine(samples, rate, f, range);
  return 20 * Math.log10(fit.residualRms / (fit.amplitude / Math.SQRT2));
}

/**
 * Goertzel power at `freq`: the mean power of the sinusoidal component there, `(2·|X(f)|/N)² / 2` where X is the
 * range's DFT evaluated at f. Exact for a tone with a whole number of cycles in the range; otherwise it includes
 * the usual rectangular-window leakage.
 */
export function goertzelPower(samples: ArrayLike<number>, rate: number, freq: number, range?: SampleRange): number {
  const [start, end] = bounds(samples, range);
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < end; i++) {
    const s = (samples[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const mag2 = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  const n = end - start;
  return (2 * mag2) / (n * n);
}
