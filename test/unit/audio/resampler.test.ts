import { describe, expect, it } from 'vitest';
import { RESAMPLER_RATES, type ResamplerRate } from '../../../src/audio/format.js';
import { FilterBank, StreamResampler, defaultFilterBank } from '../../../src/audio/resampler.js';
import { AppError } from '../../../src/errors/index.js';
import { concatPcm } from '../../support/pcm.js';

const PAIRS: [ResamplerRate, ResamplerRate][] = RESAMPLER_RATES.flatMap((a) =>
  RESAMPLER_RATES.filter((b) => b !== a).map((b): [ResamplerRate, ResamplerRate] => [a, b]),
);

function run(r: StreamResampler, ...chunks: Int16Array[]): Int16Array {
  return concatPcm(...chunks.map((c) => r.push(c)), r.flush());
}

function ramp(n: number, seed = 0): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 20001) - 10000);
}

describe('StreamResampler at equal rates', () => {
  it('copies its input with no filter and no delay', () => {
    const r = new StreamResampler(16000, 16000);
    const x = ramp(320);
    const y = r.push(x);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
    x[0] = 1234;
    expect(y[0]).not.toBe(1234);
    expect(r.flush().length).toBe(0);
    expect(r.filter).toBeUndefined();
    expect(r.delaySamples).toBe(0);
    expect(r.groupDelayMs).toBe(0);
  });
});

describe('StreamResampler construction', () => {
  it('refuses rates it does not convert, with a coded error', () => {
    for (const [from, to] of [
      [11025, 8000],
      [8000, 22050],
      [0, 8000],
    ]) {
      try {
        new StreamResampler(from as ResamplerRate, to as ResamplerRate);
        expect.fail(`accepted ${from}→${to}`);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('AUDIO_RATE_UNSUPPORTED');
        expect((err as AppError).category).toBe('invalid_request');
      }
    }
  });

  it('shares one immutable filter per conversion between instances of the default bank', () => {
    const a = new StreamResampler(8000, 24000);
    const b = new StreamResampler(8000, 24000);
    expect(a.filter).toBeDefined();
    expect(a.filter).toBe(b.filter);
    expect(a.filter).toBe(defaultFilterBank.get(8000, 24000));
    expect(Object.isFrozen(a.filter)).toBe(true);
    expect(a.filter?.kernel).toBe('strided');
    if (a.filter?.kernel === 'strided') expect(Object.isFrozen(a.filter.branches)).toBe(true);
    expect(new StreamResampler(24000, 8000).filter).not.toBe(a.filter);
  });

  it('uses the filter bank it is given', () => {
    const bank = new FilterBank({ attenuationDb: 90, passbandFraction: 0.8 });
    const r = new StreamResampler(16000, 24000, { filterBank: bank });
    expect(r.filter).toBe(bank.get(16000, 24000));
    expect(r.filter).not.toBe(defaultFilterBank.get(16000, 24000));
    expect(r.filter?.attenuationDb).toBe(90);
    expect(r.filter?.passHz).toBe(6400);
    expect(() => new FilterBank({ passbandFraction: 1.2 })).toThrow(RangeError);
  });

  it.each(PAIRS)('%i → %i reports a delay within 5 ms, consistent in samples and ms', (from, to) => {
    const r = new StreamResampler(from, to);
    expect(r.fromRate).toBe(from);
    expect(r.toRate).toBe(to);
    expect(r.groupDelayMs).toBeGreaterThan(0);
    expect(r.groupDelayMs).toBeLessThanOrEqual(5);
    expect(r.delaySamples).toBeCloseTo((r.groupDelayMs * to) / 1000, 9);
  });
});

describe('StreamResampler output', () => {
  it('emits round(n × to / from) samples in total, halves rounding up', () => {
    expect(run(new StreamResampler(8000, 16000), new Int16Array(3)).length).toBe(6);
    expect(run(new StreamResampler(16000, 8000), new Int16Array(3)).length).toBe(2);
    expect(run(new StreamResampler(24000, 16000), new Int16Array(1)).length).toBe(1);
    expect(run(new StreamResampler(16000, 24000), new Int16Array(1)).length).toBe(2);
    expect(run(new StreamResampler(48000, 8000), new Int16Array(2)).length).toBe(0);
    expect(run(new StreamResampler(48000, 8000), new Int16Array(3)).length).toBe(1);
    expect(run(new StreamResampler(8000, 24000)).length).toBe(0);
  });

  it('holds back its delay until flush, and returns nothing for an empty push', () => {
    const r = new StreamResampler(8000, 16000);
    expect(r.push(new Int16Array(0)).length).toBe(0);
    const first = r.push(ramp(160));
    expect(first.length).toBe(320 - Math.ceil(r.delaySamples));
    expect(r.flush().length).toBe(Math.ceil(r.delaySamples));
  });

  it.each(PAIRS)('%i → %i passes a constant exactly once the filter has filled', (from, to) => {
    const y = run(new StreamResampler(from, to), new Int16Array(from / 10).fill(-1234));
    const edge = Math.ceil((to * 6) / 1000);
    for (let i = edge; i < y.length - edge; i++) if (y[i] !== -1234) expect.fail(`sample ${i} is ${y[i]}`);
  });

  it.each(PAIRS)('%i → %i puts an impulse at its own time, with a symmetric response', (from, to) => {
    const period = from / gcdOf(from, to);
    const k = 40 * period;
    const x = new Int16Array(k * 2);
    x[k] = 20000;
    const y = run(new StreamResampler(from, to), x);
    const p = (k * to) / from;
    let argmax = 0;
    for (let i = 1; i < y.length; i++) if ((y[i] as number) > (y[argmax] as number)) argmax = i;
    expect(argmax).toBe(p);
    for (let j = 1; j < 40; j++) expect(Math.abs((y[p - j] as number) - (y[p + j] as number))).toBeLessThanOrEqual(1);
  });

  it.each(PAIRS)('%i → %i clamps overshoot to int16 instead of wrapping', (from, to) => {
    // A full-scale square wave: the filter rings above full scale next to every edge.
    const half = from / 200;
    const x = Int16Array.from({ length: from / 10 }, (_, i) => (Math.floor(i / half) % 2 === 0 ? 32767 : -32768));
    const y = run(new StreamResampler(from, to), x);
    expect(Math.max(...y)).toBe(32767);
    expect(Math.min(...y)).toBe(-32768);
    for (let n = 0; n < y.length; n++) {
      const t = (n * from) / to;
      const i = Math.round(t);
      const nearEdge = Math.abs(t - Math.round(t / half) * half) < 2;
      if (nearEdge || i >= x.length) continue;
      const sign = Math.sign(x[i] as number);
      if (Math.sign(y[n] as number) !== sign || Math.abs(y[n] as number) < 20000) {
        expect.fail(`output ${n} = ${y[n]} where the input is ${x[i]}`);
      }
    }
  });

  it('starts a fresh stream after flush', () => {
    const a = ramp(333, 1);
    const b = ramp(500, 2);
    const r = new StreamResampler(16000, 24000);
    const ya = run(r, a);
    const yb = run(r, b);
    expect(ya).toEqual(run(new StreamResampler(16000, 24000), a));
    expect(yb).toEqual(run(new StreamResampler(16000, 24000), b));
  });

  it('forgets everything on reset', () => {
    const r = new StreamResampler(24000, 8000);
    r.push(ramp(1000, 3));
    r.reset();
    expect(run(r, ramp(700, 4))).toEqual(run(new StreamResampler(24000, 8000), ramp(700, 4)));
  });

  it('closes idempotently and then refuses work with a coded error', () => {
    const r = new StreamResampler(8000, 16000);
    r.close();
    r.close();
    expect(() => r.push(new Int16Array(160))).toThrow(AppError);
    try {
      r.flush();
      expect.fail('flush after close');
    } catch (err) {
      expect((err as AppError).code).toBe('AUDIO_RESAMPLER_CLOSED');
    }
    expect(() => r.reset()).toThrow(AppError);
  });
});

function gcdOf(a: number, b: number): number {
  return b === 0 ? a : gcdOf(b, a % b);
}
