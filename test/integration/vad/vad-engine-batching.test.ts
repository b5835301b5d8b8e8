import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SileroRate } from '../../../src/calls/vad/silero-model.js';
import { VadEngine } from '../../../src/calls/vad/vad-engine.js';
import type { VadStream } from '../../../src/calls/vad/vad-stream.js';
import { pushFrames, readSpeechWav, record, whenScored, whiteNoise } from './vad-test-support.js';
import { concatPcm } from '../../support/pcm.js';

/** Batching across streams changes nothing a stream sees, and many streams are all served. */

interface Signal {
  readonly rate: SileroRate;
  readonly pcm: Int16Array;
}

function signals(): Signal[] {
  const hello8 = readSpeechWav('hello-8k.wav').samples;
  const hello16 = readSpeechWav('hello-16k.wav').samples;
  const onset8 = readSpeechWav('onset-8k.wav').samples;
  const onset16 = readSpeechWav('onset-16k.wav').samples;
  const scaled = (pcm: Int16Array, gain: number) => pcm.map((v) => Math.round(v * gain));
  return [
    { rate: 8000, pcm: hello8 },
    { rate: 8000, pcm: concatPcm(new Int16Array(777), scaled(hello8, 0.3)) },
    { rate: 8000, pcm: onset8 },
    { rate: 8000, pcm: whiteNoise(8000 * 3, -35, 3) },
    { rate: 16000, pcm: hello16 },
    { rate: 16000, pcm: concatPcm(new Int16Array(1234), scaled(hello16, 0.5)) },
    { rate: 16000, pcm: onset16 },
  ];
}

describe('VadEngine batching', () => {
  let engine: VadEngine;
  const streams: VadStream[] = [];

  beforeAll(async () => {
    engine = await VadEngine.start({ maxPendingPerStream: 100_000, maxPendingTotal: 1_000_000 });
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await engine?.close();
  });

  function open(rate: number): VadStream {
    const s = engine.createStream({ sampleRate: rate });
    streams.push(s);
    return s;
  }

  it('N streams batched together get the same probabilities as each run alone (within 1e-5)', async () => {
    const input = signals();

    const alone: number[][] = [];
    for (const { rate, pcm } of input) {
      const s = open(rate);
      const got = record(s);
      pushFrames(s, pcm);
      await whenScored(s);
      s.close();
      alone.push(got.probabilities);
    }
    const largestAlone = engine.stats().largestBatch;
    expect(largestAlone).toBe(1);

    const jobsBefore = engine.stats().jobs;
    const together = input.map(({ rate, pcm }) => {
      const s = open(rate);
      const got = record(s);
      pushFrames(s, pcm);
      return { s, got };
    });
    await Promise.all(together.map(({ s }) => whenScored(s)));
    const stats = engine.stats();
    // Four 8 kHz streams and three 16 kHz streams ran in the same jobs.
    expect(stats.largestBatch).toBe(4);
    const windows = together.reduce((n, { s }) => n + s.stats.windowsScored, 0);
    expect(stats.jobs - jobsBefore).toBeLessThan(windows / 3);

    together.forEach(({ got }, i) => {
      const reference = alone[i]!;
      expect(got.probabilities).toHaveLength(reference.length);
      const maxDiff = Math.max(...got.probabilities.map((p, k) => Math.abs(p - reference[k]!)));
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
    });
  });

  it('50 concurrent streams at both rates all get every result, each in its own time line', async () => {
    const hello = { 8000: readSpeechWav('hello-8k.wav').samples, 16000: readSpeechWav('hello-16k.wav').samples };
    const runs = Array.from({ length: 50 }, (_, i) => {
      const rate: SileroRate = i % 2 === 0 ? 8000 : 16000;
      const delayMs = 200 + 40 * i;
      const s = open(rate);
      const got = record(s);
      pushFrames(s, concatPcm(new Int16Array((rate * delayMs) / 1000), hello[rate], new Int16Array(rate)));
      return { s, got, delayMs };
    });
    await Promise.all(runs.map(({ s }) => whenScored(s)));
    expect(engine.stats().largestBatch).toBe(25);
    for (const { s, got, delayMs } of runs) {
      expect(s.stats.windowsDropped).toBe(0);
      expect(s.stats.windowsScored).toBe(s.stats.windowsSubmitted);
      expect(got.starts).toHaveLength(1);
      expect(got.ends).toHaveLength(1);
      expect(Math.abs(got.starts[0]!.atMs - delayMs)).toBeLessThanOrEqual(100);
    }
  });

  it('starts inference jobs no closer together than minJobIntervalMs, and every window still gets scored', async () => {
    const paced = await VadEngine.start({ minJobIntervalMs: 25 });
    try {
      const noise = whiteNoise(8000, -30, 7);
      const live = Array.from({ length: 20 }, () => paced.createStream({ sampleRate: 8000 }));
      const t0 = performance.now();
      // One 20 ms frame per stream every 20 ms for a second, as live calls push them.
      for (let f = 0; f < 50; f++) {
        for (const s of live) s.push(noise.subarray(f * 160, (f + 1) * 160));
        await new Promise((r) => setTimeout(r, 20));
      }
      await Promise.all(live.map((s) => whenScored(s)));
      const elapsed = performance.now() - t0;
      const stats = paced.stats();
      const submitted = live.reduce((n, s) => n + s.stats.windowsSubmitted, 0);
      expect(submitted).toBeGreaterThan(20 * 25);
      expect(stats.windowsInferred).toBe(submitted);
      expect(stats.windowsDropped).toBe(0);
      expect(stats.jobs).toBeLessThanOrEqual(Math.ceil(elapsed / 25) + 1);
      // 20 streams × 25/32 windows per job at best; a loaded machine starts jobs later still, with more in each.
      expect(stats.windowsInferred / stats.jobs).toBeGreaterThan(10);
      for (const s of live) s.close();
    } finally {
      await paced.close();
    }
  });
});
