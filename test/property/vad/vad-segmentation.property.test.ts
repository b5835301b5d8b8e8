import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type VadDecision, VadStateMachine } from '../../../src/calls/vad/vad-state-machine.js';
import { VadStream } from '../../../src/calls/vad/vad-stream.js';

const W = 32;

const optionsArb = fc
  .record({
    threshold: fc.double({ min: 0.05, max: 1, noNaN: true }),
    gap: fc.double({ min: 0, max: 0.5, noNaN: true }),
    minSpeechMs: fc.integer({ min: 0, max: 500 }),
    minSilenceMs: fc.integer({ min: 0, max: 800 }),
    speechPadMs: fc.integer({ min: 0, max: 200 }),
  })
  .map(({ gap, ...o }) => ({ ...o, negThreshold: Math.max(0.01, o.threshold - gap) }))
  .filter((o) => o.negThreshold <= o.threshold);

const probsArb = fc.array(fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })), {
  maxLength: 300,
});

function decide(probs: readonly number[], options: ConstructorParameters<typeof VadStateMachine>[1]): VadDecision[] {
  const m = new VadStateMachine(W, options);
  const out: VadDecision[] = [];
  for (const p of probs) {
    const d = m.push(p);
    if (d) out.push(d);
  }
  const last = m.finish();
  if (last) out.push(last);
  return out;
}

describe('VadStateMachine properties', () => {
  it('starts and ends alternate, pair up, and respect the minimum speech duration', () => {
    fc.assert(
      fc.property(probsArb, optionsArb, (probs, options) => {
        const out = decide(probs, options);
        expect(out.length % 2).toBe(0);
        let lastDetected = 0;
        for (let i = 0; i < out.length; i += 2) {
          const start = out[i]!;
          const end = out[i + 1]!;
          expect(start.type).toBe('speechStart');
          expect(end.type).toBe('speechEnd');
          if (start.type !== 'speechStart' || end.type !== 'speechEnd') return;
          expect(start.atMs).toBeGreaterThanOrEqual(0);
          expect(start.atMs).toBeLessThanOrEqual(start.detectedAtMs - options.minSpeechMs);
          expect(end.atMs).toBeGreaterThanOrEqual(start.atMs);
          expect(end.atMs).toBeLessThanOrEqual(end.detectedAtMs);
          expect(end.durationMs).toBe(end.atMs - start.atMs);
          expect(start.detectedAtMs).toBeGreaterThanOrEqual(lastDetected);
          expect(end.detectedAtMs).toBeGreaterThanOrEqual(start.detectedAtMs);
          expect(end.detectedAtMs).toBeLessThanOrEqual(probs.length * W);
          lastDetected = end.detectedAtMs;
        }
      }),
    );
  });

  it('never reports speech when no window reaches the threshold', () => {
    fc.assert(
      fc.property(probsArb, optionsArb, (probs, options) => {
        const below = probs.map((p) => Math.min(p, options.threshold * 0.999));
        expect(decide(below, options)).toEqual([]);
      }),
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(probsArb, optionsArb, (probs, options) => {
        expect(decide(probs, options)).toEqual(decide(probs, options));
      }),
    );
  });
});

describe('VadStream windowing', () => {
  it('submits the same windows whatever the push sizes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(8000, 16000),
        fc.integer({ min: 0, max: 4000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 40 }),
        (rate, length, cuts) => {
          const pcm = Int16Array.from({ length }, (_, i) => ((i * 7919) % 65536) - 32768);
          const windowsOf = (chunks: Int16Array[]) => {
            const windows: Float32Array[] = [];
            const stream = new VadStream({ sampleRate: rate }, () => ({
              submit: (w) => windows.push(w),
              skip: () => {},
              close: async () => {},
            }));
            for (const c of chunks) stream.push(c);
            return windows;
          };
          const chunks: Int16Array[] = [];
          let at = 0;
          for (let i = 0; at < length; i++) {
            const n = cuts[i % cuts.length]!;
            chunks.push(pcm.subarray(at, at + n));
            at += n;
          }
          const whole = windowsOf([pcm]);
          expect(whole).toHaveLength(Math.floor(length / (rate === 8000 ? 256 : 512)));
          expect(windowsOf(chunks)).toEqual(whole);
        },
      ),
      { numRuns: 60 },
    );
  });
});
