import { describe, expect, it } from 'vitest';
import {
  besselI0,
  decomposePolyphase,
  designLowpass,
  kaiserBeta,
  kaiserWindow,
  magnitudeAt,
} from '../../../src/audio/filter-design.js';

const SPEC = { rate: 24000, passHz: 3400, stopHz: 4600, attenuationDb: 75 };

function db(v: number): number {
  return 20 * Math.log10(v);
}

describe('Kaiser window helpers', () => {
  it('computes I0 and β as tabulated', () => {
    expect(besselI0(0)).toBe(1);
    expect(besselI0(1)).toBeCloseTo(1.2660658777520082, 14);
    expect(besselI0(10)).toBeCloseTo(2815.716628466254, 8);
    expect(kaiserBeta(75)).toBeCloseTo(0.1102 * (75 - 8.7), 12);
    expect(kaiserBeta(10)).toBe(0);
  });

  it('makes a symmetric window peaking at 1 in the middle', () => {
    const w = kaiserWindow(9, 6);
    expect(w[4]).toBe(1);
    for (let i = 0; i < 4; i++) expect(w[i]).toBe(w[8 - i]);
    expect(w[0]).toBeCloseTo(1 / besselI0(6), 15);
  });
});

describe('designLowpass', () => {
  const h = designLowpass(SPEC);

  it('is odd-length, exactly symmetric, with DC gain 1', () => {
    expect(h.length % 2).toBe(1);
    for (let i = 0; i < h.length; i++) expect(h[i]).toBe(h[h.length - 1 - i]);
    expect(h.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
  });

  it('meets its passband and (within Kaiser’s estimate) its stopband', () => {
    for (let f = 0; f <= SPEC.passHz; f += 25) expect(Math.abs(db(magnitudeAt(h, f, SPEC.rate)))).toBeLessThan(0.01);
    for (let f = SPEC.stopHz; f <= SPEC.rate / 2; f += 25) {
      expect(db(magnitudeAt(h, f, SPEC.rate))).toBeLessThan(-(SPEC.attenuationDb - 2));
    }
  });

  it('has exact zeros every K taps from the centre when the cutoff is rate / 2K', () => {
    // Cutoff (3400 + 4600) / 2 = 4000 = 24000 / 6: a Nyquist-3 filter.
    const c = (h.length - 1) / 2;
    for (let i = 0; i < h.length; i++) {
      if (i !== c && (i - c) % 3 === 0) expect(h[i]).toBe(0);
      else expect(h[i]).not.toBe(0);
    }
  });

  it('refuses impossible edges', () => {
    expect(() => designLowpass({ ...SPEC, stopHz: 3000 })).toThrow(RangeError);
    expect(() => designLowpass({ ...SPEC, stopHz: 13000 })).toThrow(RangeError);
  });
});

describe('decomposePolyphase', () => {
  it('uses every non-zero prototype tap exactly once, and each branch sums to 1', () => {
    const h = designLowpass({ rate: 48000, passHz: 6800, stopHz: 9200, attenuationDb: 75 });
    const up = 3;
    const down = 2;
    const bank = decomposePolyphase(h, up, down);
    expect(bank.branches.length).toBe(up);
    expect(bank.delay).toBe((h.length - 1) / 2);
    expect(bank.span).toBe(Math.ceil(h.length / up));
    bank.branches.forEach((branch, p) => {
      let sum = 0;
      let taps = 0;
      const protoSum = Array.from(h).reduce((s, v, i) => (i % up === p ? s + v : s), 0);
      for (const run of branch.runs) {
        expect(run.stride).toBe(down);
        run.coefs.forEach((c, t) => {
          const offset = run.first + t * run.stride;
          const j = bank.span - 1 - offset;
          expect(c).toBeCloseTo((h[p + j * up] as number) / protoSum, 15);
          sum += c;
          taps++;
        });
      }
      expect(taps).toBe(branch.taps);
      expect(sum).toBeCloseTo(1, 14);
      const nonZero = Array.from(h).filter((v, i) => i % up === p && v !== 0).length;
      expect(taps).toBe(nonZero);
    });
  });
});
