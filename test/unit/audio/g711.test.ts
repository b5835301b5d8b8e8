import alawmulaw from 'alawmulaw';
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

const { alaw: refAlaw, mulaw: refMulaw } = alawmulaw;

function allInt16(): Int16Array {
  const all = new Int16Array(65536);
  for (let i = 0; i < 65536; i++) all[i] = i - 32768;
  return all;
}

/**
 * G.711 Table 2a (μ-law) for positive inputs, on the 14-bit magnitude v = x >> 2: segment 0 has decision values
 * 0, 1, 3, …, 31 with outputs 0, 2, …, 30; segment e ≥ 1 starts at decision value 31, 95, 223, 479, 991, 2015,
 * 4063 with steps 4, 8, …, 256 and outputs half a step above each decision value. Above 8159 the output stays 8031.
 */
function ulawSpecLevel14(v: number): number {
  if (v < 1) return 0;
  if (v < 31) return 2 * Math.floor((v + 1) / 2);
  const starts = [31, 95, 223, 479, 991, 2015, 4063, 8159];
  for (let e = 1; e <= 7; e++) {
    const lo = starts[e - 1] as number;
    const step = 2 << e;
    if (v < (starts[e] as number)) return lo + step * Math.floor((v - lo) / step) + step / 2;
  }
  return 8031;
}

/**
 * G.711 Table 1a (A-law) for positive inputs, on the 12-bit magnitude u = x >> 4: segments 0 and 1 are 32 intervals
 * of width 1 from 0; segment e ≥ 2 has 16 intervals of width 2^(e−1) from 2^(e+3). Outputs are interval centres.
 */
function alawSpecLevel12(u: number): number {
  if (u < 32) return u + 0.5;
  const e = Math.floor(Math.log2(u)) - 3;
  const width = 2 ** (e - 1);
  return Math.floor(u / width) * width + width / 2;
}

describe('G.711 μ-law', () => {
  it('decodes the well-known codes', () => {
    expect(ulawDecodeSample(0xff)).toBe(0);
    expect(ulawDecodeSample(0x7f)).toBe(0);
    expect(ulawDecodeSample(0x00)).toBe(-32124);
    expect(ulawDecodeSample(0x80)).toBe(32124);
    expect(ulawDecodeSample(0xfe)).toBe(8);
    expect(ulawDecodeSample(0x7e)).toBe(-8);
  });

  it('encodes the well-known values', () => {
    expect(ulawEncodeSample(0)).toBe(0xff);
    expect(ulawEncodeSample(-1)).toBe(0x7f);
    expect(ulawEncodeSample(32767)).toBe(0x80);
    expect(ulawEncodeSample(-32768)).toBe(0x00);
    expect(ulawEncodeSample(3)).toBe(0xff);
    expect(ulawEncodeSample(4)).toBe(0xfe);
  });

  it('decodes every code to 4 × the G.711 reconstruction level of its segment and step', () => {
    const starts = [0, 33, 99, 231, 495, 1023, 2079, 4191];
    for (let code = 0; code < 256; code++) {
      const inv = ~code & 0x7f;
      const e = inv >> 4;
      const m = inv & 0x0f;
      const level = 4 * ((starts[e] as number) + m * (2 << e));
      // `+ 0` turns the −0 of code 0x7F into the 0 an Int16Array holds.
      expect(ulawDecodeSample(code)).toBe((code & 0x80 ? level : -level) + 0);
    }
  });

  it('quantises every positive input to the level of the G.711 decision interval holding it', () => {
    for (let x = 0; x <= 32767; x++) {
      const got = ulawDecodeSample(ulawEncodeSample(x));
      if (got !== 4 * ulawSpecLevel14(x >> 2)) expect.fail(`x=${x}: got ${got}, want ${4 * ulawSpecLevel14(x >> 2)}`);
    }
  });

  it('is symmetric about −½: x and −1−x differ only in the sign bit', () => {
    for (let x = 0; x <= 32767; x++) {
      if (ulawEncodeSample(-1 - x) !== (ulawEncodeSample(x) ^ 0x80)) expect.fail(`x=${x}`);
    }
  });

  it('decodes exactly as the alawmulaw package does', () => {
    for (let code = 0; code < 256; code++) expect(ulawDecodeSample(code)).toBe(refMulaw.decodeSample(code) + 0);
  });

  it('encodes as alawmulaw except the 127 negatives that sit on a decision value, where it follows G.191', () => {
    // alawmulaw quantises a negative x by |x|, G.191 (the ITU reference) by |x| − 1; they part exactly where −x
    // is the lowest input of a positive code's interval.
    const differ: number[] = [];
    for (let x = -32768; x <= 32767; x++) {
      if ((refMulaw.encodeSample(x) & 0xff) !== ulawEncodeSample(x)) differ.push(x);
    }
    const thresholds: number[] = [];
    for (let x = 1; x <= 32767; x++) if (ulawEncodeSample(x) !== ulawEncodeSample(x - 1)) thresholds.push(-x);
    expect(differ.length).toBe(127);
    expect(differ).toEqual(thresholds.sort((a, b) => a - b));
    for (const x of differ) {
      const ours = Math.abs(ulawDecodeSample(ulawEncodeSample(x)) - x);
      const theirs = Math.abs(ulawDecodeSample(refMulaw.encodeSample(x) & 0xff) - x);
      expect(ours).toBeLessThanOrEqual(theirs);
    }
  });

  it('encodes and decodes whole buffers as the per-sample functions do', () => {
    const pcm = allInt16();
    const bytes = ulawEncode(pcm);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.length).toBe(pcm.length);
    for (let i = 0; i < pcm.length; i++) {
      if (bytes[i] !== ulawEncodeSample(pcm[i] as number)) expect.fail(`sample ${pcm[i]}`);
    }
    const back = ulawDecode(bytes);
    expect(back).toBeInstanceOf(Int16Array);
    for (let i = 0; i < bytes.length; i++) expect(back[i]).toBe(ulawDecodeSample(bytes[i] as number));
    expect(ulawEncode(new Int16Array(0)).length).toBe(0);
    expect(ulawDecode(new Uint8Array(0)).length).toBe(0);
  });

  it('clamps out-of-range single samples and truncates fractions', () => {
    expect(ulawEncodeSample(40000)).toBe(ulawEncodeSample(32767));
    expect(ulawEncodeSample(-40000)).toBe(ulawEncodeSample(-32768));
    expect(ulawEncodeSample(1000.9)).toBe(ulawEncodeSample(1000));
  });
});

describe('G.711 A-law', () => {
  it('decodes the well-known codes', () => {
    expect(alawDecodeSample(0xd5)).toBe(8);
    expect(alawDecodeSample(0x55)).toBe(-8);
    expect(alawDecodeSample(0xaa)).toBe(32256);
    expect(alawDecodeSample(0x2a)).toBe(-32256);
  });

  it('encodes the well-known values', () => {
    expect(alawEncodeSample(0)).toBe(0xd5);
    expect(alawEncodeSample(-1)).toBe(0x55);
    expect(alawEncodeSample(32767)).toBe(0xaa);
    expect(alawEncodeSample(-32768)).toBe(0x2a);
  });

  it('decodes every code to 16 × the G.711 interval centre of its segment and step', () => {
    for (let code = 0; code < 256; code++) {
      const ix = code ^ 0x55;
      const e = (ix >> 4) & 7;
      const m = ix & 0x0f;
      const level = e === 0 ? 16 * (m + 0.5) : 16 * (16 + m + 0.5) * 2 ** (e - 1);
      expect(alawDecodeSample(code)).toBe(ix & 0x80 ? level : -level);
    }
  });

  it('quantises every positive input to the centre of the G.711 interval holding it', () => {
    for (let x = 0; x <= 32767; x++) {
      const got = alawDecodeSample(alawEncodeSample(x));
      if (got !== 16 * alawSpecLevel12(x >> 4)) expect.fail(`x=${x}: got ${got}`);
    }
  });

  it('is symmetric about −½: x and −1−x differ only in the sign bit', () => {
    for (let x = 0; x <= 32767; x++) {
      if (alawEncodeSample(-1 - x) !== (alawEncodeSample(x) ^ 0x80)) expect.fail(`x=${x}`);
    }
  });

  it('decodes exactly as the alawmulaw package does', () => {
    for (let code = 0; code < 256; code++) expect(alawDecodeSample(code)).toBe(refAlaw.decodeSample(code));
  });

  it('encodes as alawmulaw except the 127 negatives that sit on a decision value, where it follows G.191', () => {
    const differ: number[] = [];
    for (let x = -32768; x <= 32767; x++) if (refAlaw.encodeSample(x) !== alawEncodeSample(x)) differ.push(x);
    const thresholds: number[] = [];
    for (let x = 1; x <= 32767; x++) if (alawEncodeSample(x) !== alawEncodeSample(x - 1)) thresholds.push(-x);
    expect(differ.length).toBe(127);
    expect(differ).toEqual(thresholds.sort((a, b) => a - b));
  });

  it('encodes and decodes whole buffers as the per-sample functions do', () => {
    const pcm = allInt16();
    const bytes = alawEncode(pcm);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    for (let i = 0; i < pcm.length; i++) {
      if (bytes[i] !== alawEncodeSample(pcm[i] as number)) expect.fail(`sample ${pcm[i]}`);
    }
    const back = alawDecode(bytes);
    for (let i = 0; i < bytes.length; i++) expect(back[i]).toBe(alawDecodeSample(bytes[i] as number));
  });
});
