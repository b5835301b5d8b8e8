import { AppError } from '../errors/index.js';
import { checkRate, defaultFilterBank, type FilterBank, type ResamplerFilter } from './filter-bank.js';
import type { ResamplerRate } from './format.js';
import { runBranch, runDense } from './polyphase-kernels.js';

export { FilterBank, type FilterBankOptions, type ResamplerFilter, defaultFilterBank } from './filter-bank.js';

export interface StreamResamplerOptions {
  /** Where to take the filter from; defaults to {@link defaultFilterBank}. */
  readonly filterBank?: FilterBank;
}

const INITIAL_CAPACITY = 2048;

/**
 * A streaming rational resampler between any two of the `RESAMPLER_RATES` (8, 12, 16, 24, 32, 44.1, 48, 96 and
 * 192 kHz), int16 mono in and out, in one step: polyphase Kaiser-windowed sinc at the ratio L/M in lowest terms
 * (2/1, 3/2, 441/80, …; see {@link FilterBank} for the band it guarantees), rounding to nearest and clamping to int16.
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
  /** Where outputs are computed; `pushView` returns views of it (reused by the next call). */
  #out: Int16Array = new Int16Array(0);
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

  /**
   * Converts the next chunk of the stream; returns every output sample that chunk completes (possibly none), in an
   * array of the caller's own.
   */
  push(input: Int16Array): Int16Array {
    return this.pushView(input).slice();
  }

  /**
   * Like {@link push}, without allocating: the result is a view of the resampler's own output buffer (or, for equal
   * rates, `input` itself), valid until the next `push`, `pushView`, `flush` or `reset`. For callers that consume
   * the samples at once (encode, copy into frames); anything kept must be copied.
   */
  pushView(input: Int16Array): Int16Array {
    this.#checkOpen();
    const f = this.filter;
    if (f === undefined) return input;
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
      out = this.#emit(f, end).slice();
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
  // Stays synchronous: an in-memory converter on the per-frame path, with nothing to wait for.
  close(): void {
    this.#closed = true;
    this.#buf = new Float64Array(0);
    this.#out = new Int16Array(0);
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

  /** Computes outputs #outCount…end-1 into a view of `#out`, then discards input no later output needs. */
  #emit(f: ResamplerFilter, end: number): Int16Array {
    const start = this.#outCount;
    const count = Math.max(0, end - start);
    if (count > this.#out.length) this.#out = new Int16Array(Math.max(count, 2 * this.#out.length));
    const out = this.#out.subarray(0, count);
    if (count === 0) return out;
    const { up, down, delay } = f;
    const buf = this.#buf;
    if (f.kernel === 'dense') {
      const q = start * down + delay;
      const p = q % up;
      runDense(f.coefs, f.span, up, down, p, (q - p) / up, buf, this.#bufStart, count, out);
    } else {
      // Outputs n and n + up use the same branch, and their windows lie exactly `down` input samples apart.
      const branches = f.branches;
      for (let r = 0; r < up && r < count; r++) {
        const n = start + r;
        const q = n * down + delay;
        const branch = branches[q % up] as (typeof branches)[number];
        const window = Math.floor(q / up) - f.span + 1 - this.#bufStart;
        const outputs = Math.ceil((count - r) / up);
        runBranch(branch.runs, buf, window, down, outputs, out, r, up);
      }
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
