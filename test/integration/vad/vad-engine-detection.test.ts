import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VadEngine } from '../../../src/calls/vad/vad-engine.js';
import type { VadStream } from '../../../src/calls/vad/vad-stream.js';
import { mix, pushFrames, readSpeechWav, record, whenScored, whiteNoise } from './vad-test-support.js';
import { concatPcm } from '../../support/pcm.js';

/** The real model through the engine on the committed speech fixtures. */

const ONSET_MS = 1000;
const OFFSET_MS = 2476;
const TOLERANCE_MS = 100;

describe('VadEngine with the Silero model: detection', () => {
  let engine: VadEngine;
  const streams: VadStream[] = [];

  beforeAll(async () => {
    // Tests push whole files at once, far faster than real time: let the queues hold them.
    engine = await VadEngine.start({ maxPendingPerStream: 100_000, maxPendingTotal: 1_000_000 });
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await engine?.close();
  });

  function open(sampleRate: number): VadStream {
    const s = engine.createStream({ sampleRate });
    streams.push(s);
    return s;
  }

  it.each([
    ['onset-8k.wav', 8000],
    ['onset-16k.wav', 16000],
  ] as const)('%s: detects the onset within ±100 ms and the end of speech', async (file, rate) => {
    const { sampleRate, samples } = readSpeechWav(file);
    expect(sampleRate).toBe(rate);
    const stream = open(sampleRate);
    const got = record(stream);
    pushFrames(stream, concatPcm(samples, new Int16Array(sampleRate))); // 1 s more silence for the end
    await whenScored(stream);
    expect(got.starts).toHaveLength(1);
    expect(got.ends).toHaveLength(1);
    const start = got.starts[0]!;
    const end = got.ends[0]!;
    expect(Math.abs(start.atMs - ONSET_MS)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(start.detectedAtMs).toBeGreaterThan(start.atMs);
    expect(start.detectedAtMs - ONSET_MS).toBeLessThanOrEqual(400);
    expect(end.atMs).toBeGreaterThanOrEqual(OFFSET_MS - TOLERANCE_MS);
    expect(end.atMs).toBeLessThanOrEqual(OFFSET_MS + 150);
    expect(end.durationMs).toBe(end.atMs - start.atMs);
    expect(stream.speaking).toBe(false);
    expect(stream.stats.windowsDropped).toBe(0);
  });

  it.each([
    ['hello-8k.wav', 8000],
    ['hello-16k.wav', 16000],
  ] as const)('%s: one utterance from the first syllable, pauses between words bridged', async (file, rate) => {
    const { samples } = readSpeechWav(file);
    const stream = open(rate);
    const got = record(stream);
    pushFrames(stream, concatPcm(new Int16Array(rate / 2), samples, new Int16Array(rate)));
    await whenScored(stream);
    expect(got.starts).toHaveLength(1);
    expect(Math.abs(got.starts[0]!.atMs - 500)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(got.ends).toHaveLength(1);
    expect(got.ends[0]!.durationMs).toBeGreaterThan(2500);
    expect(Math.max(...got.probabilities)).toBeGreaterThan(0.9);
  });

  it.each([8000, 16000])('reports no speech in 3 s of digital silence at %i Hz', async (rate) => {
    const stream = open(rate);
    const got = record(stream);
    pushFrames(stream, new Int16Array(rate * 3));
    await whenScored(stream);
    expect(got.probabilities.length).toBe(Math.floor((rate * 3) / (rate / 31.25)));
    expect(got.starts).toEqual([]);
    expect(Math.max(...got.probabilities)).toBeLessThan(0.2);
  });

  it.each([
    [8000, -45],
    [16000, -45],
    [8000, -30],
    [16000, -30],
  ])('reports no speech in 5 s of white noise at %i Hz, %i dBFS', async (rate, dbfs) => {
    const stream = open(rate);
    const got = record(stream);
    pushFrames(stream, whiteNoise(rate * 5, dbfs, rate + dbfs));
    await whenScored(stream);
    expect(got.starts).toEqual([]);
    expect(Math.max(...got.probabilities)).toBeLessThan(0.35);
  });

  it.each([
    ['onset-8k.wav', 8000],
    ['onset-16k.wav', 16000],
  ] as const)('%s under -40 dBFS white noise: onset still within ±100 ms', async (file, rate) => {
    const { samples } = readSpeechWav(file);
    const stream = open(rate);
    const got = record(stream);
    pushFrames(stream, mix(concatPcm(samples, new Int16Array(rate)), whiteNoise(samples.length + rate, -40, 7)));
    await whenScored(stream);
    expect(got.starts).toHaveLength(1);
    expect(Math.abs(got.starts[0]!.atMs - ONSET_MS)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(got.ends).toHaveLength(1);
  });
});

describe('VadEngine with the Silero model: the energy gate', () => {
  let engine: VadEngine;

  beforeAll(async () => {
    engine = await VadEngine.start({ maxPendingPerStream: 100_000, maxPendingTotal: 1_000_000 });
  });

  afterAll(async () => {
    await engine?.close();
  });

  async function detect(pcm: Int16Array, sampleRate: number, energyGateDbfs: number | undefined) {
    const stream = engine.createStream({ sampleRate, energyGateDbfs });
    const got = record(stream);
    pushFrames(stream, pcm);
    await whenScored(stream);
    const stats = stream.stats;
    await stream.close();
    return { got, stats };
  }

  // Two utterances apart, as a caller's turns are: 1 s silence, speech, 2 s silence, speech, 1 s silence.
  it.each([
    ['onset-8k.wav', 0, undefined],
    ['onset-16k.wav', 0, undefined],
    ['onset-8k.wav', -20, -70],
    ['onset-16k.wav', -20, -70],
    ['hello-8k.wav', -20, undefined],
  ] as const)(
    '%s at %i dB, noise %s dBFS: same onsets and ends within one window, most silence skipped',
    async (file, gainDb, noiseDbfs) => {
      const { sampleRate, samples } = readSpeechWav(file);
      const speech = samples.map((v) => Math.round(v * 10 ** (gainDb / 20)));
      let pcm = concatPcm(
        new Int16Array(sampleRate),
        speech,
        new Int16Array(sampleRate * 2),
        speech,
        new Int16Array(sampleRate),
      );
      if (noiseDbfs !== undefined) pcm = mix(pcm, whiteNoise(pcm.length, noiseDbfs, 11));
      const off = await detect(pcm, sampleRate, undefined);
      const on = await detect(pcm, sampleRate, -65);
      expect(off.got.starts).toHaveLength(2);
      expect(on.got.starts).toHaveLength(2);
      expect(on.got.ends).toHaveLength(2);
      on.got.starts.forEach((s, i) => {
        expect(Math.abs(s.detectedAtMs - off.got.starts[i]!.detectedAtMs)).toBeLessThanOrEqual(32);
        expect(Math.abs(s.atMs - off.got.starts[i]!.atMs)).toBeLessThanOrEqual(32);
      });
      for (const [i, e] of on.got.ends.entries()) {
        expect(Math.abs(e.detectedAtMs - off.got.ends[i]!.detectedAtMs)).toBeLessThanOrEqual(32);
      }
      expect(off.stats.windowsSkipped).toBe(0);
      // The silences minus the hangovers: 4 s less 3 × 256 ms of the 4 s + speech.
      expect(on.stats.windowsSkipped).toBeGreaterThan(80);
      expect(on.got.probabilities).toHaveLength(off.got.probabilities.length);
    },
  );
});
