/**
 * ITU-T G.711 μ-law and A-law, bit-exact to the ITU-T G.191 reference implementation (STL `g711.c`,
 * `ulaw_compress`/`ulaw_expand`, `alaw_compress`/`alaw_expand`), on 16-bit linear samples.
 *
 * μ-law quantises the 14-bit value `sample >> 2`, A-law the 13-bit value `sample >> 3`; a negative input is
 * quantised by the magnitude of its one's complement (`~x`), so the quantiser is symmetric about −½ in 16-bit
 * terms: `x` and `−1 − x` get the same magnitude code. Decoded values are the ITU reconstruction levels scaled to
 * 16 bits (μ-law ±32124 at most, A-law ±32256). μ-law has two codes for zero: 0xFF (+0, what encoding 0 gives)
 * and 0x7F (−0); A-law has no zero code (0xD5 → +8, 0x55 → −8).
 *
 * Encoding is one lookup in a table over the 14-bit (μ-law) or 13-bit (A-law) input; decoding one lookup in a
 * 256-entry table. The tables are computed once when the module loads and never written again.
 */

function buildUlawDecode(): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    const sign = code < 0x80 ? -1 : 1;
    const inverted = ~code & 0xff;
    const exponent = (inverted >> 4) & 0x07;
    const mantissa = inverted & 0x0f;
    const step = 4 << (exponent + 1);
    table[code] = sign * ((0x80 << exponent) + step * mantissa + step / 2 - 4 * 33);
  }
  return table;
}

/** Indexed by the 14-bit two's-complement value `(sample >> 2) & 0x3fff`. */
function buildUlawEncode(): Uint8Array {
  const table = new Uint8Array(1 << 14);
  for (let index = 0; index < 1 << 14; index++) {
    const v = index >= 1 << 13 ? index - (1 << 14) : index;
    let absno = (v < 0 ? ~v : v) + 33;
    if (absno > 0x1fff) absno = 0x1fff;
    let segno = 1;
    for (let i = absno >> 6; i !== 0; i >>= 1) segno++;
    const high = 8 - segno;
    const low = 0x0f - ((absno >> segno) & 0x0f);
    table[index] = (high << 4) | low | (v >= 0 ? 0x80 : 0);
  }
  return table;
}

function buildAlawDecode(): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    const ix = (code ^ 0x55) & 0x7f;
    const exponent = ix >> 4;
    let mant = ix & 0x0f;
    if (exponent > 0) mant += 16;
    mant = (mant << 4) + 8;
    if (exponent > 1) mant <<= exponent - 1;
    table[code] = code > 127 ? mant : -mant;
  }
  return table;
}

/** Indexed by the 13-bit two's-complement value `(sample >> 3) & 0x1fff`. */
function buildAlawEncode(): Uint8Array {
  const table = new Uint8Array(1 << 13);
  for (let index = 0; index < 1 << 13; index++) {
    const v = index >= 1 << 12 ? index - (1 << 13) : index;
    // G.191 takes (~x) >> 4 for negative x, which equals ~(x >> 4) = ~(v >> 1).
    let ix = v < 0 ? ~(v >> 1) : v >> 1;
    if (ix > 15) {
      let exponent = 1;
      while (ix > 16 + 15) {
        ix >>= 1;
        exponent++;
      }
      ix -= 16;
      ix += exponent << 4;
    }
    if (v >= 0) ix |= 0x80;
    table[index] = ix ^ 0x55;
  }
  return table;
}

const ULAW_DECODE = buildUlawDecode();
const ULAW_ENCODE = buildUlawEncode();
const ALAW_DECODE = buildAlawDecode();
const ALAW_ENCODE = buildAlawEncode();

/** A number as an int16 sample: fractions truncated, out-of-range values clamped, NaN as 0. */
function toInt16(sample: number): number {
  return sample >= 32767 ? 32767 : sample <= -32768 ? -32768 : sample | 0;
}

/** μ-law code of one 16-bit sample (values outside int16 are clamped). */
export function ulawEncodeSample(sample: number): number {
  return ULAW_ENCODE[(toInt16(sample) >> 2) & 0x3fff] as number;
}

/** 16-bit linear value of one μ-law code (0…255). */
export function ulawDecodeSample(code: number): number {
  return ULAW_DECODE[code & 0xff] as number;
}

/** A-law code of one 16-bit sample (values outside int16 are clamped). */
export function alawEncodeSample(sample: number): number {
  return ALAW_ENCODE[(toInt16(sample) >> 3) & 0x1fff] as number;
}

/** 16-bit linear value of one A-law code (0…255). */
export function alawDecodeSample(code: number): number {
  return ALAW_DECODE[code & 0xff] as number;
}

/** μ-law encodes 16-bit samples, one byte per sample. */
export function ulawEncode(pcm: Int16Array): Buffer {
  return ulawEncodeInto(pcm, Buffer.allocUnsafe(pcm.length));
}

/** μ-law encodes `pcm` into the start of `out` (at least `pcm.length` bytes); returns that part of `out`. */
export function ulawEncodeInto<T extends Uint8Array>(pcm: Int16Array, out: T): T {
  for (let i = 0; i < pcm.length; i++) out[i] = ULAW_ENCODE[((pcm[i] as number) >> 2) & 0x3fff] as number;
  return (out.length === pcm.length ? out : out.subarray(0, pcm.length)) as T;
}

/** Decodes μ-law bytes to 16-bit samples. */
export function ulawDecode(bytes: Uint8Array): Int16Array {
  return ulawDecodeInto(bytes, new Int16Array(bytes.length));
}

/** Decodes μ-law `bytes` into the start of `out` (at least `bytes.length` samples); returns that part of `out`. */
export function ulawDecodeInto(bytes: Uint8Array, out: Int16Array): Int16Array {
  for (let i = 0; i < bytes.length; i++) out[i] = ULAW_DECODE[bytes[i] as number] as number;
  return out.length === bytes.length ? out : out.subarray(0, bytes.length);
}

/** A-law encodes 16-bit samples, one byte per sample. */
export function alawEncode(pcm: Int16Array): Buffer {
  return alawEncodeInto(pcm, Buffer.allocUnsafe(pcm.length));
}

/** A-law encodes `pcm` into the start of `out` (at least `pcm.length` bytes); returns that part of `out`. */
export function alawEncodeInto<T extends Uint8Array>(pcm: Int16Array, out: T): T {
  for (let i = 0; i < pcm.length; i++) out[i] = ALAW_ENCODE[((pcm[i] as number) >> 3) & 0x1fff] as number;
  return (out.length === pcm.length ? out : out.subarray(0, pcm.length)) as T;
}

/** Decodes A-law bytes to 16-bit samples. */
export function alawDecode(bytes: Uint8Array): Int16Array {
  return alawDecodeInto(bytes, new Int16Array(bytes.length));
}

/** Decodes A-law `bytes` into the start of `out` (at least `bytes.length` samples); returns that part of `out`. */
export function alawDecodeInto(bytes: Uint8Array, out: Int16Array): Int16Array {
  for (let i = 0; i < bytes.length; i++) out[i] = ALAW_DECODE[bytes[i] as number] as number;
  return out.length === bytes.length ? out : out.subarray(0, bytes.length);
}
