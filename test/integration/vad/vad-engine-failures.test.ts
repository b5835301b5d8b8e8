import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VadEngine } from '../../../src/calls/vad/vad-engine.js';
import { VadError } from '../../../src/calls/vad/vad-error.js';
import { concatPcm } from '../../support/pcm.js';
import { pushFrames, readSpeechWav, record, whenScored } from './vad-test-support.js';

/** Start failures, a worker crash that the engine recovers from, and one it gives up on. */

const fakeWorker = (name: string) => new URL(`./fake-workers/${name}.ts`, import.meta.url);

async function startError(options: Parameters<typeof VadEngine.start>[0]): Promise<VadError> {
  try {
    const engine = await VadEngine.start(options);
    await engine.close();
  } catch (err) {
    expect(err).toBeInstanceOf(VadError);
    return err as VadError;
  }
  throw new Error('VadEngine.start should have failed');
}

/** Probabilities of the hello clip (plus 1 s silence) at 8 kHz on `engine`. */
async function scoreHello(engine: VadEngine): Promise<number[]> {
  const stream = engine.createStream({ sampleRate: 8000 });
  try {
    const got = record(stream);
    pushFrames(stream, concatPcm(readSpeechWav('hello-8k.wav').samples, new Int16Array(8000)));
    await whenScored(stream);
    return got.probabilities;
  } finally {
    stream.close();
  }
}

const ROOMY = { maxPendingPerStream: 100_000, maxPendingTotal: 1_000_000 };

describe('VadEngine start failures', () => {
  it('a missing model file is VAD_MODEL_MISSING, not retryable', async () => {
    const err = await startError({ modelPath: join(tmpdir(), 'no-such-dir', 'silero.onnx') });
    expect(err).toMatchObject({ code: 'VAD_MODEL_MISSING', category: 'configuration', retryable: false });
  });

  it('a file onnxruntime cannot load is VAD_MODEL_LOAD_FAILED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vad-model-'));
    try {
      const modelPath = join(dir, 'broken.onnx');
      writeFileSync(modelPath, 'this is not an onnx model');
      const err = await startError({ modelPath });
      expect(err).toMatchObject({ code: 'VAD_MODEL_LOAD_FAILED', category: 'configuration', retryable: false });
      expect(err.details).toMatchObject({ modelPath });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a worker entry that throws while loading is VAD_WORKER_START_FAILED with the cause', async () => {
    const err = await startError({ workerEntry: fakeWorker('throw-at-load') });
    expect(err).toMatchObject({ code: 'VAD_WORKER_START_FAILED', retryable: true });
    expect(err.message).toContain('worker entry failed to load');
  });

  it.each([{ maxPendingPerStream: 0 }, { maxBatchSize: 1.5 }, { maxRestarts: -1 }, { minJobIntervalMs: 26 }])(
    'invalid option %j is VAD_INVALID_OPTIONS',
    async (options) => {
      const err = await startError(options);
      expect(err.code).toBe('VAD_INVALID_OPTIONS');
    },
  );
});

describe('VadEngine worker crash', () => {
  it('restarts a crashed worker and re-runs the lost job: results equal an uncrashed run', async () => {
    const reference = await (async () => {
      const engine = await VadEngine.start(ROOMY);
      try {
        return await scoreHello(engine);
      } finally {
        await engine.close();
      }
    })();

    const engine = await VadEngine.start({ ...ROOMY, workerEntry: fakeWorker('exit-on-third-job') });
    try {
      const restarts: { generation: number; cause: VadError }[] = [];
      engine.on('workerRestarted', (e) => restarts.push(e));
      const probabilities = await scoreHello(engine);
      expect(restarts).toHaveLength(1);
      expect(restarts[0]?.generation).toBe(1);
      expect(restarts[0]?.cause).toMatchObject({ code: 'VAD_WORKER_CRASHED', details: { exitCode: 7 } });
      expect(engine.stats()).toMatchObject({ state: 'running', workerRestarts: 1, windowsDropped: 0 });
      expect(probabilities).toHaveLength(reference.length);
      probabilities.forEach((p, i) => {
        expect(Math.abs(p - reference[i]!)).toBeLessThanOrEqual(1e-5);
      });
    } finally {
      await engine.close();
    }
  });

  it('gives up after maxRestarts failures in a row: streams and the engine report VAD_WORKER_FAILED', async () => {
    const engine = await VadEngine.start({ maxRestarts: 2, workerEntry: fakeWorker('exit-on-every-job') });
    try {
      const restarts: number[] = [];
      engine.on('workerRestarted', (e) => restarts.push(e.generation));
      const engineFailed = new Promise<VadError>((resolve) => engine.once('failed', resolve));
      const streams = [engine.createStream({ sampleRate: 8000 }), engine.createStream({ sampleRate: 16000 })];
      const streamFailures = streams.map((s) => new Promise<VadError>((resolve) => s.once('failed', resolve)));
      for (const s of streams) s.push(new Int16Array(s.sampleRate / 10));

      const err = await engineFailed;
      expect(err).toMatchObject({ code: 'VAD_WORKER_FAILED', category: 'server', details: { failures: 3 } });
      expect(err.cause).toMatchObject({ code: 'VAD_WORKER_CRASHED', details: { exitCode: 9 } });
      expect(restarts).toEqual([1, 2]);
      for (const f of await Promise.all(streamFailures)) expect(f).toBe(err);
      expect(streams.map((s) => s.failure)).toEqual([err, err]);
      expect(engine.state).toBe('failed');
      expect(engine.stats()).toMatchObject({ streams: 0, pendingWindows: 0, inFlightWindows: 0 });
      expect(() => engine.createStream({ sampleRate: 8000 })).toThrow(err);
      for (const s of streams) s.close();
    } finally {
      await engine.close();
    }
    expect(engine.state).toBe('closed');
  });
});
