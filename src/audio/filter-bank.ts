import { AppError } from '../errors/index.js';
import { RESAMPLER_RATES, type ResamplerRate } from './format.js';
import { type PolyphaseBranch, decomposePolyphase, densePolyphase, designLowpass } from './filter-design.js';

/** How a {@link FilterBank} designs and keeps its filters. */
export interface FilterBankOptions {
  /** Stopband attenuation of every prototype, dB. Default 75 (the quality target is 70). */
  readonly attenuationDb?: number;
  /** Flat band as a fraction of the lower rate's Nyquist frequency. Default 0.85 (3400 Hz when 8 kHz is involved). */
  readonly passbandFraction?: number;
  /** Filters kept for reuse; beyond it the least recently used one is forgotten. Default 32. */
  readonly maxFilters?: number;
}

interface ResamplerFilterBase {
  readonly fromRate: ResamplerRate;
  readonly toRate: ResamplerRate;
  /** Interpolation factor L (`toRate / gcd`): the prototype runs at `up × fromRate`. */
  readonly up: number;
  /** Decimation factor M (`fromRate / gcd`). */
  readonly down: number;
  /** Length of the prototype (odd). */
  readonly length: number;
  /** Group delay of the prototype, in samples at `up × fromRate`: `(length - 1) / 2`. */
  readonly delay: number;
  /** Input samples every output's window covers. */
  readonly span: number;
  /** Upper edge of the band passed flat, Hz. */
  readonly passHz: number;
  /** Lower edge of the prototype's stopband, Hz: images and aliases of anything below `passHz` fall above it. */
  readonly stopHz: number;
  readonly attenuationDb: number;
}

/**
 * The filter of one conversion, shared by every resampler that performs it. Immutable. Two layouts of the same
 * polyphase bank: `strided` (runs of stride `down`, four outputs of a branch at once; for small `down` such as the
 * 2:1, 3:1 and 3:2 ratios) and `dense` (one contiguous window per output; for ratios like 441/80 whose `down` is
 * large next to the window, where strided runs would hold a tap each).
 */
export type ResamplerFilter = ResamplerFilterBase &
  (
    | { readonly kernel: 'strided'; readonly branches: readonly PolyphaseBranch[] }
    | { readonly kernel: 'dense'; readonly coefs: Float64Array }
  );

/** Strided runs pay off once they average this many taps (window span ÷ down). */
const MIN_STRIDED_RUN = 4;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export function checkRate(rate: number, what: string): asserts rate is ResamplerRate {
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
 * (each conversion's tables are computed once and never change). A bank keeps at most `maxFilters` filters; past
 * that, the least recently used is forgotten (resamplers already holding it keep it; the next one to need it
 * redesigns it), so memory stays bounded whatever rates calls bring. The largest table, 192 kHz ⇄ 44.1 kHz
 * (L/M = 640/147), holds about 20 000 coefficients (160 kB).
 *
 * Band guaranteed, with `lower` = the lower of the two rates and `pass = passbandFraction × lower / 2`: the response
 * is flat over 0…pass (ripple well under 0.1 dB), and any image or alias that would land inside 0…pass is
 * attenuated by at least `attenuationDb` (the stopband starts at `lower − pass`, e.g. 4600 Hz for 8 kHz, so
 * components between `lower/2` and `lower − pass` may fold into the unguaranteed band pass…lower/2).
 * With the defaults that is 0–3400 Hz for any conversion involving 8 kHz, 0–5100 Hz with 12 kHz, 0–6800 Hz with
 * 16 kHz, 0–10200 Hz with 24 kHz, and so on.
 */
export class FilterBank {
  readonly attenuationDb: number;
  readonly passbandFraction: number;
  readonly maxFilters: number;
  /** Insertion order is recency order: a hit moves its entry to the end, eviction takes the first. */
  readonly #filters = new Map<string, ResamplerFilter>();

  constructor(options: FilterBankOptions = {}) {
    this.attenuationDb = options.attenuationDb ?? 75;
    this.passbandFraction = options.passbandFraction ?? 0.85;
    this.maxFilters = options.maxFilters ?? 32;
    if (!(this.attenuationDb >= 20 && this.attenuationDb <= 160)) {
      throw new RangeError(`attenuationDb must be within 20…160, got ${this.attenuationDb}`);
    }
    if (!(this.passbandFraction > 0.1 && this.passbandFraction < 1)) {
      throw new RangeError(`passbandFraction must be within 0.1…1 (exclusive), got ${this.passbandFraction}`);
    }
    if (!(Number.isInteger(this.maxFilters) && this.maxFilters >= 1)) {
      throw new RangeError(`maxFilters must be an integer ≥ 1, got ${this.maxFilters}`);
    }
  }

  /** Filters held now (at most `maxFilters`). */
  get size(): number {
    return this.#filters.size;
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
      if (this.#filters.size >= this.maxFilters) {
        const oldest = this.#filters.keys().next().value as string;
        this.#filters.delete(oldest);
      }
    } else {
      this.#filters.delete(key);
    }
    this.#filters.set(key, filter);
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
    const common = { fromRate, toRate, passHz, stopHz, attenuationDb: this.attenuationDb, down };
    const span = Math.ceil(prototype.length / up);
    if (span >= MIN_STRIDED_RUN * down) {
      const bank = decomposePolyphase(prototype, up, down);
      return Object.freeze({ ...bank, ...common, kernel: 'strided' as const });
    }
    const bank = densePolyphase(prototype, up);
    return Object.freeze({ ...bank, ...common, kernel: 'dense' as const });
  }
}

/** The bank every resampler uses unless given another. */
export const defaultFilterBank = new FilterBank();
