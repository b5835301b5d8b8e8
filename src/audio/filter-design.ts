/**
 * Linear-phase FIR lowpass design by the Kaiser-windowed-sinc method, and the frequency-response evaluation used
 * to check a design. Pure functions over Float64Array; nothing here holds state.
 */

/** What a lowpass must do, in Hz at the rate the filter runs at. */
export interface LowpassSpec {
  /** Sample rate the filter runs at (for a polyphase resampler: the common multiple of both rates). */
  readonly rate: number;
  /** Upper edge of the band passed flat. */
  readonly passHz: number;
  /** Lower edge of the band attenuated by at least `attenuationDb`. */
  readonly stopHz: number;
  /** Minimum stopband attenuation, in dB (positive). */
  readonly attenuationDb: number;
}

/** Modified Bessel function of the first kind, order 0, by its power series (converges for every real x). */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser's β for a stopband attenuation of `attenuationDb` (Kaiser 1974). */
export function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

/** Kaiser's estimate of the taps a windowed-sinc lowpass needs, rounded up to an odd count (integer group delay). */
export function kaiserLength(attenuationDb: number, transitionHz: number, rate: number): number {
  const dw = (2 * Math.PI * transitionHz) / rate;
  const n = Math.ceil((attenuationDb - 7.95) / (2.285 * dw)) + 1;
  return n % 2 === 1 ? n : n + 1;
}

/** A Kaiser window of `length` points with parameter `beta`. */
export function kaiserWindow(length: number, beta: number): Float64Array {
  const w = new Float64Array(length);
  const half = (length - 1) / 2;
  const norm = besselI0(beta);
  for (let i = 0; i < length; i++) {
    const r = half === 0 ? 0 : (i - half) / half;
    w[i] = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / norm;
  }
  return w;
}

/**
 * A Kaiser-windowed-sinc lowpass meeting `spec` (by Kaiser's length formula; `lengthScale` > 1 lengthens it), cut
 * off half way between the pass and stop edges, with DC gain 1. Odd length, symmetric, so its group delay is the
 * integer `(length - 1) / 2` samples. When the cutoff is `rate / (2K)` for an integer K the taps at multiples of K
 * from the centre are exactly zero (a Nyquist-K filter), which a polyphase bank can skip.
 */
export function designLowpass(spec: LowpassSpec, lengthScale = 1): Float64Array {
  const { rate, passHz, stopHz, attenuationDb } = spec;
  if (!(passHz > 0 && stopHz > passHz && stopHz <= rate / 2 + 1e-9)) {
    throw new RangeError(`lowpass edges must satisfy 0 < pass < stop <= rate/2 (got ${passHz}, ${stopHz}, ${rate})`);
  }
  let length = kaiserLength(attenuationDb, stopHz - passHz, rate);
  if (lengthScale !== 1) {
    length = Math.ceil(length * lengthScale);
    if (length % 2 === 0) length++;
  }
  const beta = kaiserBeta(attenuationDb);
  const window = kaiserWindow(length, beta);
  const cutoff = (passHz + stopHz) / 2;
  // Normalised bandwidth 2·fc/rate; when it is 1/K exactly, zero crossings fall on integer taps.
  const bw = (2 * cutoff) / rate;
  const k = Math.round(1 / bw);
  const nyquistK = Math.abs(1 / bw - k) < 1e-9 && k > 1;
  const centre = (length - 1) / 2;
  const h = new Float64Array(length);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const t = i - centre;
    let s: number;
    if (t === 0) s = bw;
    else if (nyquistK && t % k === 0) s = 0;
    else s = Math.sin(Math.PI * bw * t) / (Math.PI * t);
    const v = s * (window[i] as number);
    h[i] = v;
    sum += v;
  }
  for (let i = 0; i < length; i++) h[i] = (h[i] as number) / sum;
  return h;
}

/** Magnitude response |H(f)| of the FIR `taps` at `freqHz` for a filter running at `rate`. */
export function magnitudeAt(taps: Float64Array, freqHz: number, rate: number): number {
  const w = (2 * Math.PI * freqHz) / rate;
  let re = 0;
  let im = 0;
  for (let i = 0; i < taps.length; i++) {
    const c = taps[i] as number;
    re += c * Math.cos(w * i);
    im -= c * Math.sin(w * i);
  }
  return Math.hypot(re, im);
}

/**
 * A run of taps that read every `stride`-th input sample: tap t has coefficient `coefs[t]` and reads the sample at
 * offset `first + t·stride` from the start of the window.
 */
export interface TapRun {
  readonly coefs: Float64Array;
  readonly first: number;
  readonly stride: number;
}

/**
 * One branch of a polyphase bank: its non-zero taps, grouped into runs. A branch's consecutive outputs have windows
 * exactly `down` input samples apart, so each run's stride is `down`: the samples a run reads for one output are
 * the samples it reads for the next output shifted by one place, which lets the kernel load each sample once.
 */
export interface PolyphaseBranch {
  readonly runs: readonly TapRun[];
  /** Number of non-zero taps (sum of the runs' lengths). */
  readonly taps: number;
}

/** A lowpass prototype split into the `up` branches of a rational `up/down` resampler. */
export interface PolyphaseBank {
  /** Interpolation factor L: the prototype runs at `up × input rate`. */
  readonly up: number;
  /** Decimation factor M. */
  readonly down: number;
  /** Length of the prototype (odd). */
  readonly length: number;
  /** Group delay of the prototype, in samples at `up × input rate`: `(length - 1) / 2`. */
  readonly delay: number;
  /** Input samples every branch's window covers. */
  readonly span: number;
  /** Branch `p` computes the outputs whose position on the upsampled grid is ≡ p (mod up). */
  readonly branches: readonly PolyphaseBranch[];
}

/**
 * Splits `prototype` (running at `up × input rate`) into `up` branches, normalises each branch to a DC gain of
 * exactly 1 (which restores the factor `up` lost to zero-stuffing, and makes a constant input give a constant output
 * with no residue at the image frequencies), and drops taps that are exactly zero.
 * Branch p holds the prototype taps `h[p + j·up]`; tap j applies to input `x[k - j]`, where `k` is the newest input
 * sample the output needs. In the window of `span` samples ending at `k`, tap j sits at offset `span - 1 - j`.
 * The taps are grouped by offset modulo `down` into runs of stride `down` (see {@link PolyphaseBranch}); a run
 * breaks wherever a zero tap was dropped inside it.
 */
export function decomposePolyphase(prototype: Float64Array, up: number, down: number): PolyphaseBank {
  const length = prototype.length;
  const span = Math.ceil(length / up);
  const branches: PolyphaseBranch[] = [];
  for (let p = 0; p < up; p++) {
    const taps: { offset: number; coef: number }[] = [];
    let sum = 0;
    for (let j = 0; p + j * up < length; j++) {
      const c = prototype[p + j * up] as number;
      sum += c;
      if (c !== 0) taps.push({ offset: span - 1 - j, coef: c });
    }
    const runs: TapRun[] = [];
    for (let r = 0; r < down; r++) {
      const cls = taps.filter((t) => t.offset % down === r).sort((a, b) => a.offset - b.offset);
      let i = 0;
      while (i < cls.length) {
        let e = i + 1;
        while (
          e < cls.length &&
          (cls[e] as { offset: number }).offset === (cls[e - 1] as { offset: number }).offset + down
        )
          e++;
        const coefs = Float64Array.from(cls.slice(i, e), (t) => t.coef / sum);
        runs.push(Object.freeze({ coefs, first: (cls[i] as { offset: number }).offset, stride: down }));
        i = e;
      }
    }
    branches.push(Object.freeze({ runs: Object.freeze(runs), taps: taps.length }));
  }
  return Object.freeze({ up, down, length, delay: (length - 1) / 2, span, branches: Object.freeze(branches) });
}

/**
 * The same split as {@link decomposePolyphase}, stored densely for ratios whose `down` is large next to the window
 * (44.1 kHz ⇄ 8/16/24 kHz: L/M like 80/441), where strided runs would hold one tap each. Branch p's coefficient for
 * window offset t (input sample `window + t`) sits at `coefs[p·span + t]`; zero taps stay in place.
 */
export interface DensePolyphaseBank {
  readonly up: number;
  readonly length: number;
  readonly delay: number;
  readonly span: number;
  /** `up × span` coefficients, branch by branch, each branch normalised to a DC gain of exactly 1. */
  readonly coefs: Float64Array;
}

/** Splits `prototype` (running at `up × input rate`) into `up` dense branches; see {@link DensePolyphaseBank}. */
export function densePolyphase(prototype: Float64Array, up: number): DensePolyphaseBank {
  const length = prototype.length;
  const span = Math.ceil(length / up);
  const coefs = new Float64Array(up * span);
  for (let p = 0; p < up; p++) {
    let sum = 0;
    for (let j = 0; p + j * up < length; j++) sum += prototype[p + j * up] as number;
    const base = p * span + span - 1;
    for (let j = 0; p + j * up < length; j++) coefs[base - j] = (prototype[p + j * up] as number) / sum;
  }
  return Object.freeze({ up, length, delay: (length - 1) / 2, span, coefs });
}
