import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { VadSpeechEnd, VadSpeechStart } from '../../../src/calls/vad/vad-state-machine.js';
import type { VadStream } from '../../../src/calls/vad/vad-stream.js';

/** Helpers shared by the VAD integration tests: fixture WAVs, synthetic signals, feeding and waiting. */

export const SPEECH_FIXTURES = fileURLToPath(new URL('../../fixtures/speech/', import.meta.url));

export interface Pcm {
  readonly sampleRate: number;
  readonly samples: Int16Array;
}

/** Reads a mono PCM16 WAV from test/fixtures/speech/. */
export function readSpeechWav(name: string): Pcm {
  const buf = readFileSync(`${SPEECH_FIXTURES}${name}`);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${name}: not a RIFF/WAVE file`);
  }
  let sampleRate = 0;
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      const format = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const bits = buf.readUInt16LE(body + 14);
      if (format !== 1 || channels !== 1 || bits !== 16) throw new Error(`${name}: not mono PCM16`);
      sampleRate = buf.readUInt32LE(body + 4);
    } else if (id === 'data') {
      const samples = new Int16Array(size / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { sampleRate, samples };
    }
    at = body + size + (size % 2);
  }
  throw new Error(`${name}: no data chunk`);
}

/** Deterministic Gaussian white noise at `dbfs` RMS (relative to full scale 32768). */
export function whiteNoise(length: number, dbfs: number, seed = 1): Int16Array {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const sigma = 32768 * 10 ** (dbfs / 20);
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const g = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
    out[i] = Math.max(-32768, Math.min(32767, Math.round(sigma * g)));
  }
  return out;
}

/** Adds two signals sample by sample (clipped); the result has the first one's length. */
export function mix(a: Int16Array, b: Int16Array): Int16Array {
  return a.map((v, i) => Math.max(-32768, Math.min(32767, v + (b[i] ?? 0))));
}

/** Pushes `pcm` as consecutive 20 ms frames (a last partial frame too). */
export function pushFrames(stream: VadStream, pcm: Int16Array): void {
  const frame = stream.sampleRate / 50;
  for (let i = 0; i < pcm.length; i += frame) stream.push(pcm.subarray(i, i + frame));
}

/** Everything a stream reported. */
export interface Recorded {
  readonly starts: VadSpeechStart[];
  readonly ends: VadSpeechEnd[];
  readonly probabilities: number[];
}

export function record(stream: VadStream): Recorded {
  const r: Recorded = { starts: [], ends: [], probabilities: [] };
  stream.on('speechStart', (e) => r.starts.push(e));
  stream.on('speechEnd', (e) => r.ends.push(e));
  stream.on('probability', (p) => r.probabilities.push(p.probability));
  return r;
}

/**
 * Resolves once every window the stream submitted has been scored or dropped; rejects if the stream fails or
 * nothing completes within `timeoutMs` (a guard against hanging, not a timing assertion).
 */
export function whenScored(stream: VadStream, timeoutMs = 60_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      const s = stream.stats;
      return s.windowsScored + s.windowsDropped + s.windowsSkipped >= s.windowsSubmitted;
    };
    if (done()) {
      resolve();
      return;
    }
    const cleanup = () => {
      clearTimeout(timer);
      stream.off('probability', onProbability);
      stream.off('failed', onFailed);
    };
    const onProbability = () => {
      if (!done()) return;
      cleanup();
      resolve();
    };
    const onFailed = (err: Error) => {
      cleanup();
      reject(err);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`stream not scored within ${timeoutMs} ms: ${JSON.stringify(stream.stats)}`));
    }, timeoutMs);
    stream.on('probability', onProbability);
    stream.on('failed', onFailed);
  });
}
