/**
 * Audio formats. Every buffer that crosses a module boundary carries its format.
 * PCM is signed 16-bit little-endian mono; G.711 is one byte per sample.
 */
export const SAMPLE_RATES = [8000, 12000, 16000, 24000, 32000, 44100, 48000, 96000, 192000] as const;
export type SampleRate = (typeof SAMPLE_RATES)[number];

/** Rates the resampler converts between directly, in one step: every rate an AudioSocket slin kind can carry. */
export const RESAMPLER_RATES = SAMPLE_RATES;
export type ResamplerRate = SampleRate;

export type AudioEncoding = 'pcm16' | 'ulaw' | 'alaw';

export interface AudioFormat {
  readonly encoding: AudioEncoding;
  readonly sampleRate: SampleRate;
}

export interface AudioChunk {
  readonly format: AudioFormat;
  readonly data: Buffer;
}

export const FRAME_MS = 20;

export function bytesPerSample(encoding: AudioEncoding): number {
  return encoding === 'pcm16' ? 2 : 1;
}

/** Bytes of `ms` milliseconds of audio in `format` (rates here are all multiples of 1000 Hz except 44.1 kHz). */
export function bytesForMs(format: AudioFormat, ms: number): number {
  return Math.round((format.sampleRate * ms) / 1000) * bytesPerSample(format.encoding);
}

export function msForBytes(format: AudioFormat, bytes: number): number {
  return (bytes / bytesPerSample(format.encoding) / format.sampleRate) * 1000;
}

/** Bytes of one 20 ms frame. */
export function frameBytes(format: AudioFormat): number {
  return bytesForMs(format, FRAME_MS);
}

export function formatsEqual(a: AudioFormat, b: AudioFormat): boolean {
  return a.encoding === b.encoding && a.sampleRate === b.sampleRate;
}

export function describeFormat(f: AudioFormat): string {
  return `${f.encoding}@${f.sampleRate}`;
}

export const PCM8K: AudioFormat = Object.freeze({ encoding: 'pcm16', sampleRate: 8000 });
export const PCM16K: AudioFormat = Object.freeze({ encoding: 'pcm16', sampleRate: 16000 });
export const PCM24K: AudioFormat = Object.freeze({ encoding: 'pcm16', sampleRate: 24000 });
export const PCM48K: AudioFormat = Object.freeze({ encoding: 'pcm16', sampleRate: 48000 });
export const ULAW8K: AudioFormat = Object.freeze({ encoding: 'ulaw', sampleRate: 8000 });
export const ALAW8K: AudioFormat = Object.freeze({ encoding: 'alaw', sampleRate: 8000 });

/** View a little-endian PCM16 Buffer as Int16Array samples (copies only if unaligned). */
export function pcmSamples(buf: Buffer): Int16Array {
  if (buf.byteOffset % 2 === 0) return new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1);
  const copy = Buffer.from(buf);
  return new Int16Array(copy.buffer, copy.byteOffset, copy.length >> 1);
}

/** Int16 samples as a little-endian Buffer sharing memory. */
export function pcmBuffer(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}
