import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alawDecode,
  alawDecodeSample,
  alawEncode,
  alawEncodeSample,
  ulawDecode,
  ulawDecodeSample,
  ulawEncode,
  ulawEncodeSample,
} from '../../../src/audio/g711.js';

const int16 = fc.integer({ min: -32768, max: 32767 });
const byte = fc.integer({ min: 0, max: 255 });

/** 16-bit quantisation step of a μ-law code's segment. */
function ulawStep(code: number): number {
  return 8 << ((~code >> 4) & 7);
}

/** 16-bit quantisation step of an A-law code's segment. */
function alawStep(code: number): number {
  const e = ((code ^ 0x55) >> 4) & 7;
  return e <= 1 ? 16 : 16 << (e - 1);
}

describe('G.711 round trip', () => {
  it('μ-law: error is at most half the segment step below overload, and saturates at ±32124 above it', () => {
    fc.assert(
      fc.property(int16, (x) => {
        const code = ulawEncodeSample(x);
        const y = ulawDecodeSample(code);
        // The top decision value is 8159 on the 14-bit scale: 16-bit inputs from 32636 (and, mirrored, below
        // −32636) overload.
        if (x > 32635 || x < -32636) expect(y).toBe(x > 0 ? 32124 : -32124);
        else expect(Math.abs(y - x)).toBeLessThanOrEqual(ulawStep(code) / 2);
      }),
      { numRuns: 2000 },
    );
  });

  it('A-law: error is at most half the segment step over the whole int16 range', () => {
    fc.assert(
      fc.property(int16, (x) => {
        const code = alawEncodeSample(x);
        expect(Math.abs(alawDecodeSample(code) - x)).toBeLessThanOrEqual(alawStep(code) / 2);
      }),
      { numRuns: 2000 },
    );
  });

  it('μ-law: encode(decode(b)) == b for every code but 0x7F, the second zero, which re-encodes as 0xFF', () => {
    fc.assert(
      fc.property(byte, (b) => {
        expect(ulawEncodeSample(ulawDecodeSample(b))).toBe(b === 0x7f ? 0xff : b);
      }),
      { numRuns: 1000 },
    );
  });

  it('A-law: encode(decode(b)) == b for every code (A-law has no zero code)', () => {
    fc.assert(
      fc.property(byte, (b) => {
        expect(alawEncodeSample(alawDecodeSample(b))).toBe(b);
      }),
      { numRuns: 1000 },
    );
  });

  it('buffer codecs agree with the per-sample ones and decode(encode(decode(bytes))) is stable', () => {
    fc.assert(
      fc.property(fc.array(int16, { maxLength: 400 }), (values) => {
        const pcm = Int16Array.from(values);
        const u = ulawEncode(pcm);
        const a = alawEncode(pcm);
        expect([...u]).toEqual(values.map(ulawEncodeSample));
        expect([...a]).toEqual(values.map(alawEncodeSample));
        const ud = ulawDecode(u);
        const ad = alawDecode(a);
        expect(ulawDecode(ulawEncode(ud))).toEqual(ud);
        expect(alawDecode(alawEncode(ad))).toEqual(ad);
      }),
    );
  });
});
