import { AppError } from '../errors/index.js';
import { RESAMPLER_RATES, type ResamplerRate } from './format.js';
import { decomposePolyphase, designLowpass, type PolyphaseBank, type TapRun } from './filter-design.js';

/** How a {@link FilterBank} designs its filters. */
export interface FilterBankOptions {
  /** Stopband attenuation of every prototype, dB. Default 75 (the quality target is 70). */
  readonly attenuationDb?: number;
  /** Flat band as a fraction of the lower rate's Nyquist frequency. Default 0.85 (3400 Hz when 8 kHz is involved). */
  readonly passbandFraction?: number;
}

/** The filter of one conversion, shared by every resampler that performs it. Immutable. */
export interface ResamplerFilter extends PolyphaseBank {
  readonly fromRate: ResamplerRate;
  readonly toRate: ResamplerRate;
  /** Upper edge of the band passed flat, Hz. */
  readonly passHz: number;
  /** Lower edge of the prototype's stopband, Hz: images and aliases of anything below `passHz` fall above it. */
  readonly stopHz: number;
  readonly attenuationDb: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function checkRate(rate: number, what: string): asserts rate is ResamplerRate {
  if (!(RESAMPLER_RATES as readonly number[]).includes(rate)) {
    throw new AppError(`${what} ${rate} Hz is not one of ${RESAMPLER_RATES.join(', ')}`, {
      code: 'AUDIO_RATE_UNSUPPORTED',
      category: 'invalid_request',
      details: { rate, supported: RESAMPLER_RATES },
    });
  }
}

/**
 * Polyphase filters for every conversion between two {@link RESAMPLER_RATES}, designed on first use and then shared
 * (each conversion's tables are computed once per bank and never change). Pass one to {@link StreamResampler} to
 * use other design parameters; otherwise {@link defaultFilterBank} is used.
 *
 * Band guaranteed, with `lower` = the lower of the two rates and `pass = passbandFraction × lower / 2`: the response
 * is flat over 0…pass (ripple well under 0.1 dB), and any image or alias that would land inside 0…pass is
 * attenuated by at least `attenuationDb` (the stopband starts at `lower − pass`, e.g. 4600 Hz for 8 kHz, so
 * components between `lower/2` and `lower − pass` may fold into the unguaranteed band pass…lower/2).
 * With the defaults that is 0–3400 Hz for any conversion involving 8 kHz, 0–6800 Hz for 16↔24/48 kHz, and
 * 0–10200 Hz for 24↔48 kHz.
 */
export class FilterBank {
  readonly attenuationDb: number;
  readonly passbandFraction: number;
  readonly #filters = new Map<string, ResamplerFilter>();

  constructor(options: FilterBankOptions = {}) {
    this.attenuationDb = options.attenuationDb ?? 75;
    this.passbandFraction = options.passbandFraction ?? 0.85;
    if (!(this.attenuationDb >= 20 && this.attenuationDb <= 160)) {
      throw new RangeError(`attenuationDb must be within 20…160, got ${this.attenuationDb}`);
    }
    if (!(this.passbandFraction > 0.1 && this.passbandFraction < 1)) {
      throw new RangeError(`passbandFraction must be within 0.1…1 (exclusive), got ${this.passbandFraction}`);
    }
  }

  /** The filter converting `fromRate` to `toRate` (two different rates). */
  get(fromRate: ResamplerRate, toRate: ResamplerRate): ResamplerFilter {
    checkRate(fromRate, 'input rate');
    checkRate(toRate, 'output rate');
    if (fromRate === toRate) throw new RangeError('no filter is needed between equal rates');
    const key = `${fromRate}>${toRate}`;
    let filter = this.#filters.get(key);
    if (filter === undefined) {
      filter = this.#design(fromRate, toRate);
      this.#filters.set(key, filter);
    }
    return filter;
  }

  #design(fromRate: ResamplerRate, toRate: ResamplerRate): ResamplerFilter {
    const g = gcd(fromRate, toRate);
    const up = toRate / g;
    const down = fromRate / g;
    const rate = fromRate * up;
    const lower = Math.min(fromRate, toRate);
    const passHz = (this.passbandFraction * lower) / 2;
    const stopHz = lower - passHz;
    const prototype = designLowpass({ rate, passHz, stopHz, attenuationDb: this.attenuationDb });
    const bank = decomposePolyphase(prototype, up, down);
    return Object.freeze({ ...bank, fromRate, toRate, passHz, stopHz, attenuationDb: this.attenuationDb });
  }
}

/** The bank every resampler uses unless given another. */
export const defaultFilterBank = new FilterBank();

export interface StreamResamplerOptions {
  /** Where to take the filter from; defaults to {@link defaultFilterBank}. */
  readonly filterBank?: FilterBank;
}

const INITIAL_CAPACITY = 2048;

/**
 * A streaming rational resampler between two of 8/16/24/48 kHz, int16 mono in and out: polyphase Kaiser-windowed
 * sinc (see {@link FilterBank} for the band it guarantees), rounding to nearest and clamping to int16.
 *
 * Output sample n is aligned with input time `n × fromRate / toRate` (the filter's delay is compensated), so the
 * stream holds back {@link groupDelayMs} of audio until later input or {@link flush} supplies the samples it needs.
 * State carries across calls: any split of the input gives bit-identical output to pushing it whole, and after
 * `flush()` the total output length is `round(inputLength × toRate / fromRate)` (halves round up).
 * Equal rates make it a copy with no filtering and no delay.
 */
export class StreamResampler {
  readonly fromRate: ResamplerRate;
  readonly toRate: ResamplerRate;
  /** Samples, at the output rate, by which the emitted stream lags the input (may be fractional). */
  readonly delaySamples: number;
  /** The same lag in milliseconds. */
  readonly groupDelayMs: number;
  /** The filter in use, or undefined for equal rates. */
  readonly filter: ResamplerFilter | undefined;

  /** Input history as float, `#buf[i]` holding absolute input sample `#bufStart + i`. */
  #buf: Float64Array = new Float64Array(0);
  #bufStart = 0;
  #bufLen = 0;
  /** Input samples received since the stream started. */
  #inCount = 0;
  /** Output samples emitted since the stream started. */
  #outCount = 0;
  #closed = false;

  constructor(fromRate: ResamplerRate, toRate: ResamplerRate, options: StreamResamplerOptions = {}) {
    checkRate(fromRate, 'input rate');
    checkRate(toRate, 'output rate');
    this.fromRate = fromRate;
    this.toRate = toRate;
    if (fromRate === toRate) {
      this.filter = undefined;
      this.delaySamples = 0;
      this.groupDelayMs = 0;
    } else {
      const filter = (options.filterBank ?? defaultFilterBank).get(fromRate, toRate);
      this.filter = filter;
      this.delaySamples = filter.delay / filter.down;
      this.groupDelayMs = (1000 * filter.delay) / (filter.up * fromRate);
      this.#buf = new Float64Array(INITIAL_CAPACITY + filter.span);
      this.#start();
    }
  }

  /** Converts the next chunk of the stream; returns every output sample that chunk completes (possibly none). */
  push(input: Int16Array): Int16Array {
    this.#checkOpen();
    const f = this.filter;
    if (f === undefined) return input.slice();
    this.#append(input);
    this.#inCount += input.length;
    const end = Math.min(this.#totalFor(this.#inCount), this.#computableWith(this.#inCount));
    return this.#emit(f, end);
  }

  /**
   * Ends the stream: emits the held-back tail (as if silence followed the input), so the stream's total output is
   * `round(inputLength × toRate / fromRate)`, and returns the resampler to its initial state for a new stream.
   */
  flush(): Int16Array {
    this.#checkOpen();
    const f = this.filter;
    if (f === undefined) return new Int16Array(0);
    const end = this.#totalFor(this.#inCount);
    let out: Int16Array = new Int16Array(0);
    if (end > this.#outCount) {
      const newest = Math.floor(((end - 1) * f.down + f.delay) / f.up);
      const missing = newest + 1 - (this.#bufStart + this.#bufLen);
      if (missing > 0) this.#append(new Int16Array(missing));
      out = this.#emit(f, end);
    }
    this.#start();
    return out;
  }

  /** Drops all state without emitting anything; the next push starts a new stream. */
  reset(): void {
    this.#checkOpen();
    if (this.filter !== undefined) this.#start();
  }

  /** Releases the buffers. Idempotent; push, flush and reset throw afterwards. */
  close(): void {
    this.#closed = true;
    this.#buf = new Float64Array(0);
    this.#bufLen = 0;
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new AppError(`resampler ${this.fromRate}→${this.toRate} is closed`, {
        code: 'AUDIO_RESAMPLER_CLOSED',
        category: 'application',
      });
    }
  }

  #start(): void {
    const f = this.filter as ResamplerFilter;
    this.#inCount = 0;
    this.#outCount = 0;
    // Everything before the first input sample is silence; hold as much of it as the first window reaches.
    const first = Math.min(0, this.#windowStart(f, 0));
    this.#bufStart = first;
    this.#bufLen = -first;
    this.#buf.fill(0, 0, this.#bufLen);
  }

  /** Absolute index of the first input sample in the window of output n. */
  #windowStart(f: ResamplerFilter, n: number): number {
    return Math.floor((n * f.down + f.delay) / f.up) - f.span + 1;
  }

  /** round(count × to / from), halves up, in exact integer arithmetic. */
  #totalFor(count: number): number {
    const f = this.filter as ResamplerFilter;
    return Math.floor((2 * count * f.up + f.down) / (2 * f.down));
  }

  /** How many outputs (from the stream start) can be computed once `count` input samples are known. */
  #computableWith(count: number): number {
    const f = this.filter as ResamplerFilter;
    return Math.max(0, Math.ceil((count * f.up - f.delay) / f.down));
  }

  #append(input: Int16Array): void {
    const needed = this.#bufLen + input.length;
    if (needed > this.#buf.length) {
      const grown = new Float64Array(Math.max(needed, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#bufLen));
      this.#buf = grown;
    }
    const buf = this.#buf;
    const base = this.#bufLen;
    for (let i = 0; i < input.length; i++) buf[base + i] = input[i] as number;
    this.#bufLen = needed;
  }

  /** Computes outputs #outCount…end-1, then discards input no later output needs. */
  #emit(f: ResamplerFilter, end: number): Int16Array {
    const start = this.#outCount;
    const count = Math.max(0, end - start);
    const out = new Int16Array(count);
    if (count === 0) return out;
    const { up, down, delay, branches } = f;
    const buf = this.#buf;
    // Outputs n and n + up use the same branch, and their windows lie exactly `down` input samples apart.
    for (let r = 0; r < up && r < count; r++) {
      const n = start + r;
      const q = n * down + delay;
      const branch = branches[q % up] as (typeof branches)[number];
      const window = Math.floor(q / up) - f.span + 1 - this.#bufStart;
      const outputs = Math.ceil((count - r) / up);
      runBranch(branch.runs, buf, window, down, outputs, out, r, up);
    }
    this.#outCount = end;
    const drop = Math.min(this.#bufLen, Math.max(0, this.#windowStart(f, end) - this.#bufStart));
    if (drop > 0) {
      buf.copyWithin(0, drop, this.#bufLen);
      this.#bufLen -= drop;
      this.#bufStart += drop;
    }
    return out;
  }
}

function toInt16(v: number): number {
  return Math.min(32767, Math.max(-32768, Math.round(v)));
}

/**
 * Computes `outputs` samples of one branch: output g reads the window starting at `window + g·step` and is written
 * to `out[o + g·ostride]`. Each output is one running sum over the runs in order and their taps in order, so the
 * result does not depend on how outputs are grouped (which is what makes chunked processing bit-identical).
 * Four outputs are computed together: since a run's stride equals `step`, output g+1 reads, at tap t, the sample
 * output g reads at tap t+1, so the four slide along the input and each sample and coefficient is loaded once.
 */
function runBranch(
  runs: readonly TapRun[],
  buf: Float64Array,
  window: number,
  step: number,
  outputs: number,
  out: Int16Array,
  o: number,
  ostride: number,
): void {
  const nruns = runs.length;
  let g = 0;
  for (; g + 4 <= outputs; g += 4) {
    const w = window + g * step;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let r = 0; r < nruns; r++) {
      const run = runs[r] as TapRun;
      const coefs = run.coefs;
      const taps = coefs.length;
      const s = run.stride;
      let b = w + run.first;
      let x0 = buf[b] as number;
      let x1 = buf[b + s] as number;
      let x2 = buf[b + 2 * s] as number;
      b += 3 * s;
      let t = 0;
      for (; t + 1 < taps; t += 2) {
        const x3 = buf[b] as number;
        const x4 = buf[b + s] as number;
        const c0 = coefs[t] as number;
        const c1 = coefs[t + 1] as number;
        a0 += c0 * x0;
        a1 += c0 * x1;
        a2 += c0 * x2;
        a3 += c0 * x3;
        a0 += c1 * x1;
        a1 += c1 * x2;
        a2 += c1 * x3;
        a3 += c1 * x4;
        x0 = x2;
        x1 = x3;
        x2 = x4;
        b += 2 * s;
      }
      if (t < taps) {
        const c0 = coefs[t] as number;
        a0 += c0 * x0;
        a1 += c0 * x1;
        a2 += c0 * x2;
        a3 += c0 * (buf[b] as number);
      }
    }
    const i = o + g * ostride;
    out[i] = toInt16(a0);
    out[i + ostride] = toInt16(a1);
    out[i + 2 * ostride] = toInt16(a2);
    out[i + 3 * ostride] = toInt16(a3);
  }
  for (; g < outputs; g++) {
    const w = window + g * step;
    let a = 0;
    for (let r = 0; r < nruns; r++) {
      const run = runs[r] as TapRun;
      const coefs = run.coefs;
      const taps = coefs.length;
      const s = run.stride;
      let b = w + run.first;
      for (let t = 0; t < taps; t++) {
        a += (coefs[t] as number) * (buf[b] as number);
        b += s;
      }
    }
    out[o + g * ostride] = toInt16(a);
  }
}
