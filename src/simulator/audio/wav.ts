import { readFile, writeFile } from 'node:fs/promises';
import { AppError } from '../../errors/app-error.js';

/** PCM16 audio from or for a WAV file; `samples` are interleaved when `channels` is 2. */
export interface WavAudio {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly samples: Int16Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function invalid(message: string, details?: Record<string, unknown>): AppError {
  return new AppError(`WAV: ${message}`, { code: 'WAV_INVALID', category: 'invalid_request', details });
}

/**
 * Parses a RIFF/WAVE file holding 16-bit PCM, mono or stereo (plain PCM or WAVE_FORMAT_EXTENSIBLE with a PCM
 * subformat). Unknown chunks (LIST, fact, …) are skipped; a data chunk whose size runs past the end of the file
 * (streamed WAVs) is read to the end.
 */
export function decodeWav(buf: Buffer): WavAudio {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw invalid('not a RIFF/WAVE file');
  }
  let fmt: { format: number; channels: number; sampleRate: number; bits: number; blockAlign: number } | undefined;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw invalid('fmt chunk too short', { size });
      let format = buf.readUInt16LE(body);
      if (format === WAVE_FORMAT_EXTENSIBLE && size >= 40 && body + 26 <= buf.length)
        format = buf.readUInt16LE(body + 24);
      fmt = {
        format,
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        blockAlign: buf.readUInt16LE(body + 12),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw invalid('data chunk before fmt chunk');
      if (fmt.format !== WAVE_FORMAT_PCM) throw invalid(`format ${fmt.format} is not PCM`, { format: fmt.format });
      if (fmt.bits !== 16) throw invalid(`${fmt.bits}-bit samples; only 16-bit PCM is supported`, { bits: fmt.bits });
      if (fmt.channels !== 1 && fmt.channels !== 2) throw invalid(`${fmt.channels} channels; only 1 or 2`);
      if (fmt.blockAlign !== fmt.channels * 2) throw invalid(`block align ${fmt.blockAlign} does not match`);
      if (fmt.sampleRate <= 0) throw invalid('sample rate 0');
      const available = Math.min(size, buf.length - body);
      const frames = Math.floor(available / fmt.blockAlign);
      const samples = new Int16Array(frames * fmt.channels);
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples };
    }
    off = body + size + (size % 2);
  }
  throw invalid(fmt ? 'no data chunk' : 'no fmt chunk');
}

/** Builds a canonical 44-byte-header PCM16 WAV file. */
export function encodeWav(audio: WavAudio): Buffer {
  const { sampleRate, channels, samples } = audio;
  if (samples.length % channels !== 0) throw invalid('interleaved sample count is not a multiple of channels');
  const dataBytes = samples.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * 2, 28);
  out.writeUInt16LE(channels * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, 44 + 2 * i);
  return out;
}

/** Mono samples: the samples themselves, or the rounded mean of the two channels. */
export function toMono(audio: WavAudio): Int16Array {
  if (audio.channels === 1) return audio.samples;
  const n = audio.samples.length / 2;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round((audio.samples[2 * i]! + audio.samples[2 * i + 1]!) / 2);
  return out;
}

export async function readWavFile(path: string): Promise<WavAudio> {
  return decodeWav(await readFile(path));
}

export async function writeWavFile(path: string, audio: WavAudio): Promise<void> {
  await writeFile(path, encodeWav(audio));
}
