/**
 * The resampler at every AudioSocket slin rate (8, 12, 16, 24, 32, 44.1, 48, 96, 192 kHz): which table layout each
 * ratio gets, how large the tables are, the bounded cache that shares them, and that both kernels compute exactly
 * the polyphase sum of the prototype filter.
 */
import { describe, expect, it } from 'vitest';
import { designLowpass } from '../../../src/audio/filter-design.js';
import { FormatConverter } from '../../../src/audio/format-converter.js';
import { type AudioFormat, SAMPLE_RATES, type SampleRate, pcmBuffer, pcmSamples } from '../../../src/audio/format.js';
import { FilterBank, type ResamplerFilter, StreamResampler, defaultFilterBank } from '../../../src/audio/resampler.js';
import { estimateFrequency, generateTone } from '../../../src/audio/tone-analysis.js';
import { concatPcm } from '../../support/pcm.js';

const PAIRS: [SampleRate, SampleRate][] = SAMPLE_RATES.flatMap((a) =>
  SAMPLE_RATES.filter((b) => b !== a).map((b): [SampleRate, SampleRate] => [a, b]),
);

function coefficients(f: ResamplerFilter): number {
  return f.kernel === 'dense' ? f.coefs.length : f.branches.reduce((n, b) => n + b.taps, 0);
}

function run(r: StreamResampler, ...chunks: Int16Array[]): Int16Array {
  return concatPcm(...chunks.map((c) => r.push(c)), r.flush());
}

function noise(n: number, seed: number): Int16Array {
  let s = seed >>> 0;
  return Int16Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 16) - 32768;
  });
}

/**
 * Output n straight from the prototype: the input zero-stuffed by `up`, filtered, read at grid position
 * `n·down + delay`, each branch scaled to a DC gain of 1. Independent of the tables and kernels under test.
 */
function reference(f: ResamplerFilter, x: Int16Array, n: number): number {
  const h = designLowpass({ rate: f.fromRate * f.up, passHz: f.passHz, stopHz: f.stopHz, attenuationDb: 75 });
  const q = n * f.down + f.delay;
  const p = q % f.up;
  let branchSum = 0;
  for (let j = p; j < h.length; j += f.up) branchSum += h[j] as number;
  let acc = 0;
  for (let i = 0; i < x.length; i++) {
    const t = q - i * f.up;
    if (t >= 0 && t < h.length) acc += (x[i] as number) * (h[t] as number);
  }
  return acc / branchSum;
}

describe('StreamResampler tables at every slin rate', () => {
  it('keeps the 2:1, 3:1 and 3:2 paths on the strided kernel, and uses the dense one for 44.1 kHz ratios', () => {
    for (const [a, b] of [
      [8000, 16000],
      [16000, 8000],
      [8000, 24000],
      [24000, 8000],
      [16000, 24000],
      [24000, 16000],
      [12000, 24000],
      [192000, 8000],
    ] as const) {
      expect(defaultFilterBank.get(a, b).kernel).toBe('strided');
    }
    for (const other of [8000, 16000, 24000, 48000] as const) {
      expect(defaultFilterBank.get(44100, other).kernel).toBe('dense');
      expect(defaultFilterBank.get(other, 44100).kernel).toBe('dense');
    }
    const f = defaultFilterBank.get(44100, 8000);
    expect([f.up, f.down]).toEqual([80, 441]);
  });

  it.each(PAIRS)('%i → %i has a table of at most 20 480 coefficients and at most 750 per output', (from, to) => {
    const f = defaultFilterBank.get(from, to);
    expect(coefficients(f)).toBeLessThanOrEqual(20480);
    expect(f.span).toBeLessThanOrEqual(750);
    expect(new StreamResampler(from, to).groupDelayMs).toBeLessThanOrEqual(5);
  });

  it.each([
    [44100, 16000],
    [16000, 44100],
    [8000, 44100],
    [44100, 8000],
    [12000, 24000],
    [192000, 44100],
    [32000, 12000],
  ] as const)('%i → %i computes exactly the polyphase sum of its prototype', (from, to) => {
    const x = noise(Math.round(from / 50) * 3, from + to);
    const r = new StreamResampler(from, to);
    const y = run(r, x.subarray(0, 1000), x.subarray(1000));
    const f = r.filter as ResamplerFilter;
    const step = Math.max(1, Math.floor(y.length / 60));
    for (let n = 0; n < y.length; n += step) {
      const want = Math.min(32767, Math.max(-32768, Math.round(reference(f, x, n))));
      if (Math.abs((y[n] as number) - want) > 1) expect.fail(`output ${n} is ${y[n]}, the prototype gives ${want}`);
    }
  });
});

describe('FilterBank cache', () => {
  it('keeps at most maxFilters tables, forgetting the least recently used', () => {
    const bank = new FilterBank({ maxFilters: 2 });
    const a = bank.get(44100, 16000);
    const b = bank.get(16000, 44100);
    expect(bank.get(44100, 16000)).toBe(a);
    bank.get(12000, 24000);
    expect(bank.size).toBe(2);
    // 16 k → 44.1 k was the least recently used: it is designed again, equal but not the same object.
    const b2 = bank.get(16000, 44100);
    expect(b2).not.toBe(b);
    expect(b2.kernel === 'dense' && b.kernel === 'dense' && b2.coefs).toEqual(b.kernel === 'dense' && b.coefs);
    expect(bank.size).toBe(2);
    expect(() => new FilterBank({ maxFilters: 0 })).toThrow(RangeError);
  });

  it('lets a resampler keep its table after the bank forgot it', () => {
    const bank = new FilterBank({ maxFilters: 1 });
    const r = new StreamResampler(44100, 8000, { filterBank: bank });
    bank.get(8000, 44100);
    const x = generateTone({ rate: 44100, freq: 440, amplitude: 8000, ms: 200 });
    expect(run(r, x)).toEqual(run(new StreamResampler(44100, 8000), x));
  });
});

describe('FormatConverter at the other slin rates', () => {
  const pcm = (sampleRate: SampleRate): AudioFormat => ({ encoding: 'pcm16', sampleRate });

  it.each([12000, 32000, 44100, 96000, 192000] as const)(
    'converts %i Hz slin to 8 kHz μ-law, 16 kHz and 24 kHz in one step, and back',
    (rate) => {
      const x = generateTone({ rate, freq: 1000, amplitude: 8000, ms: 300 });
      for (const agent of [pcm(16000), pcm(24000), pcm(8000)]) {
        const there = new FormatConverter(pcm(rate), agent);
        const back = new FormatConverter(agent, pcm(rate));
        expect(there.resamples).toBe(true);
        const mid = Buffer.concat([there.push(pcmBuffer(x)), there.flush()]);
        const y = pcmSamples(Buffer.concat([back.push(mid), back.flush()]));
        expect(y.length).toBe(x.length);
        const inner = y.subarray(Math.round(rate / 20), y.length - Math.round(rate / 20));
        expect(estimateFrequency(inner, rate)).toBeCloseTo(1000, 0);
      }
      expect(new FormatConverter(pcm(rate), { encoding: 'ulaw', sampleRate: 8000 }).resamples).toBe(true);
    },
  );
});
