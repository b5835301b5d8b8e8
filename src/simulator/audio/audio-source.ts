import { readFileSync } from 'node:fs';
import { AppError } from '../../errors/app-error.js';
import { assertNever } from '../../lib/assert-never.js';
import { decodeWav, toMono } from './wav.js';

/** Where a simulated caller's audio comes from. */
export type AudioSource =
  /** Zeros forever. */
  | { readonly type: 'silence' }
  /** Mono PCM16 samples at the call's rate; ends after the last sample unless `loop`. */
  | { readonly type: 'samples'; readonly samples: Int16Array; readonly loop?: boolean }
  /** A PCM16 WAV file at the call's rate (stereo is mixed down); ends at its end unless `loop`. */
  | { readonly type: 'wav'; readonly path: string; readonly loop?: boolean }
  /** Called for each frame with the samples wanted; returning undefined ends the source. */
  | {
      readonly type: 'generator';
      readonly next: (frameSamples: number, frameIndex: number) => Int16Array | undefined;
    };

/** Pulls fixed-size frames from an AudioSource. */
export interface FrameSource {
  /** The next `frameSamples` samples as PCM16 little-endian bytes (a short tail is padded with zeros), or undefined once ended. */
  next(frameSamples: number): Buffer | undefined;
}

/** True on little-endian hosts, where Int16Array memory is already PCM16LE. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies samples [from, from + n) into `out` at byte `at` as little-endian PCM16. */
function copySamples(samples: Int16Array, from: number, n: number, out: Buffer, at: number): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    out.set(new Uint8Array(samples.buffer, samples.byteOffset + from * 2, n * 2), at);
    return;
  }
  for (let i = 0; i < n; i++) out.writeInt16LE(samples[from + i]!, at + 2 * i);
}

function fromSamples(samples: Int16Array, loop: boolean): FrameSource {
  let pos = 0;
  return {
    next(frameSamples) {
      if (samples.length === 0 || (!loop && pos >= samples.length)) return undefined;
      const out = Buffer.alloc(frameSamples * 2);
      let filled = 0;
      while (filled < frameSamples) {
        if (pos >= samples.length) {
          if (!loop) break;
          pos = 0;
        }
        const n = Math.min(frameSamples - filled, samples.length - pos);
        copySamples(samples, pos, n, out, filled * 2);
        pos += n;
        filled += n;
      }
      return out;
    },
  };
}

/**
 * Opens a source for a call at `sampleRate`. A WAV file is read now, and must already be at that rate (the
 * simulator does not resample).
 */
export function openAudioSource(source: AudioSource, sampleRate: number): FrameSource {
  switch (source.type) {
    case 'silence':
      return { next: (frameSamples) => Buffer.alloc(frameSamples * 2) };
    case 'samples':
      return fromSamples(source.samples, source.loop ?? false);
    case 'wav': {
      const wav = decodeWav(readFileSync(source.path));
      if (wav.sampleRate !== sampleRate) {
        throw new AppError(`WAV ${source.path} is ${wav.sampleRate} Hz; the call needs ${sampleRate} Hz`, {
          code: 'WAV_RATE_MISMATCH',
          category: 'invalid_request',
          details: { path: source.path, wavRate: wav.sampleRate, sampleRate },
        });
      }
      return fromSamples(toMono(wav), source.loop ?? false);
    }
    case 'generator': {
      let index = 0;
      return {
        next(frameSamples) {
          const samples = source.next(frameSamples, index++);
          if (samples === undefined) return undefined;
          const out = Buffer.alloc(frameSamples * 2);
          copySamples(samples, 0, Math.min(frameSamples, samples.length), out, 0);
          return out;
        },
      };
    }
    default:
      return assertNever(source, 'audio source');
  }
}

/** Whether `value` names an audio source (a channel's `audio` option is untyped where it crosses the simulator). */
export function isAudioSource(value: unknown): value is AudioSource {
  const type = (value as { type?: unknown } | null | undefined)?.type;
  return type === 'silence' || type === 'samples' || type === 'wav' || type === 'generator';
}

/** Opens `audio` at `sampleRate` when it is a source that opens there; silence otherwise (a channel never fails on it). */
export function openAudioSourceOrSilence(audio: unknown, sampleRate: number): FrameSource {
  try {
    return openAudioSource(isAudioSource(audio) ? audio : { type: 'silence' }, sampleRate);
  } catch {
    return openAudioSource({ type: 'silence' }, sampleRate);
  }
}
