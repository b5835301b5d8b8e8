import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESAMPLER_RATES, type ResamplerRate } from '../../../src/audio/format.js';
import { StreamResampler } from '../../../src/audio/resampler.js';
import { concatPcm } from '../../support/pcm.js';

const rate = fc.constantFrom(...RESAMPLER_RATES);
const samples = fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 3000 }).map((a) => Int16Array.from(a));
/** Cut points as fractions of the input length (sorted, possibly repeated, so empty chunks occur too). */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

function split(x: Int16Array, fractions: readonly number[]): Int16Array[] {
  const points = fractions.map((f) => Math.floor(f * x.length)).sort((a, b) => a - b);
  const chunks: Int16Array[] = [];
  let prev = 0;
  for (const p of [...points, x.length]) {
    chunks.push(x.subarray(prev, p));
    prev = p;
  }
  return chunks;
}

describe('StreamResampler properties', () => {
  it('gives bit-identical output for any split of the input', () => {
    fc.assert(
      fc.property(rate, rate, samples, cuts, (from, to, x, fractions) => {
        const whole = new StreamResampler(from, to);
        const expected = concatPcm(whole.push(x), whole.flush());
        const chunked = new StreamResampler(from, to);
        const got = concatPcm(...split(x, fractions).map((c) => chunked.push(c)), chunked.flush());
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('gives bit-identical output for any split at the 44.1 kHz ratios (441/80, 160/441, …), with the right length', () => {
    const other = fc.constantFrom(...RESAMPLER_RATES.filter((r) => r !== 44100));
    const pair = fc
      .tuple(other, fc.boolean())
      .map(([r, up]): [ResamplerRate, ResamplerRate] => (up ? [r, 44100] : [44100, r]));
    fc.assert(
      fc.property(pair, samples, cuts, ([from, to], x, fractions) => {
        const whole = new StreamResampler(from, to);
        const expected = concatPcm(whole.push(x), whole.flush());
        const chunked = new StreamResampler(from, to);
        const got = concatPcm(...split(x, fractions).map((c) => chunked.push(c)), chunked.flush());
        expect(got).toEqual(expected);
        expect(got.length).toBe(Math.round((x.length * to) / from));
      }),
      { numRuns: 200 },
    );
  });

  it('pushView gives the samples push gives, in a buffer it reuses (read at once), for any split', () => {
    fc.assert(
      fc.property(rate, rate, samples, cuts, (from, to, x, fractions) => {
        const owned = new StreamResampler(from, to);
        const viewed = new StreamResampler(from, to);
        const kept: Int16Array[] = [];
        const copies: Int16Array[] = [];
        for (const c of split(x, fractions)) {
          kept.push(owned.push(c));
          copies.push(viewed.pushView(c).slice());
        }
        expect(concatPcm(...copies)).toEqual(concatPcm(...kept));
        expect(viewed.flush()).toEqual(owned.flush());
      }),
      { numRuns: 300 },
    );
  });

  it('emits round(n × to / from) samples after flush, and never lags more than its delay plus one sample', () => {
    fc.assert(
      fc.property(rate, rate, fc.array(fc.nat({ max: 1500 }), { maxLength: 10 }), (from, to, sizes) => {
        const r = new StreamResampler(from, to);
        let pushed = 0;
        let emitted = 0;
        for (const n of sizes) {
          emitted += r.push(new Int16Array(n).fill(100)).length;
          pushed += n;
          const ideal = (pushed * to) / from;
          expect(emitted).toBeLessThanOrEqual(Math.round(ideal));
          expect(emitted).toBeGreaterThanOrEqual(ideal - r.delaySamples - 1);
        }
        emitted += r.flush().length;
        expect(emitted).toBe(Math.floor((2 * pushed * to + from) / (2 * from)));
        expect(emitted).toBe(Math.round((pushed * to) / from));
      }),
      { numRuns: 500 },
    );
  });

  it('treats each flushed stream independently of what came before', () => {
    fc.assert(
      fc.property(rate, rate, samples, samples, (from: ResamplerRate, to: ResamplerRate, a, b) => {
        const r = new StreamResampler(from, to);
        concatPcm(r.push(a), r.flush());
        const second = concatPcm(r.push(b), r.flush());
        const fresh = new StreamResampler(from, to);
        expect(second).toEqual(concatPcm(fresh.push(b), fresh.flush()));
      }),
      { numRuns: 100 },
    );
  });
});
