import { describe, expect, it } from 'vitest';
import { VadError } from '../../../src/calls/vad/vad-error.js';
import {
  type VadDecision,
  type VadHysteresisOptions,
  VadStateMachine,
  resolveHysteresisOptions,
} from '../../../src/calls/vad/vad-state-machine.js';

const W = 32;

/** Runs probabilities through a fresh machine; returns every decision with the index of the window that made it. */
function run(probs: readonly number[], options: Partial<VadHysteresisOptions> = {}) {
  const m = new VadStateMachine(W, options);
  const out: { window: number; decision: VadDecision }[] = [];
  probs.forEach((p, window) => {
    const decision = m.push(p);
    if (decision) out.push({ window, decision });
  });
  return { m, out };
}

const rep = (p: number, n: number) => Array<number>(n).fill(p);

describe('resolveHysteresisOptions', () => {
  it('fills the documented defaults', () => {
    expect(resolveHysteresisOptions()).toEqual({
      threshold: 0.5,
      negThreshold: 0.35,
      minSpeechMs: 160,
      minSilenceMs: 400,
      speechPadMs: 30,
    });
  });

  it('derives negThreshold from threshold and keeps it above zero', () => {
    expect(resolveHysteresisOptions({ threshold: 0.8 }).negThreshold).toBeCloseTo(0.65, 10);
    expect(resolveHysteresisOptions({ threshold: 0.1 }).negThreshold).toBe(0.01);
  });

  it.each([
    [{ threshold: 0 }, 'threshold'],
    [{ threshold: 1.2 }, 'threshold'],
    [{ threshold: 0.5, negThreshold: 0.6 }, 'negThreshold'],
    [{ negThreshold: 0 }, 'negThreshold'],
    [{ minSpeechMs: -1 }, 'minSpeechMs'],
    [{ minSilenceMs: Number.NaN }, 'minSilenceMs'],
    [{ speechPadMs: Number.POSITIVE_INFINITY }, 'speechPadMs'],
  ])('rejects %j naming %s', (options, field) => {
    try {
      resolveHysteresisOptions(options);
      expect.unreachable('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(VadError);
      expect((err as VadError).code).toBe('VAD_INVALID_OPTIONS');
      expect((err as VadError).details?.['field']).toBe(field);
    }
  });
});

describe('VadStateMachine', () => {
  it('reports nothing for silence', () => {
    const { m, out } = run(rep(0.1, 100));
    expect(out).toEqual([]);
    expect(m.speaking).toBe(false);
    expect(m.elapsedMs).toBe(100 * W);
  });

  it('starts speech once minSpeechMs has passed, dated at the onset window minus the pad', () => {
    // Onset at window 10 (320 ms); 160 ms = 5 windows, so confirmed at the end of window 14.
    const { out } = run([...rep(0, 10), ...rep(0.9, 10)]);
    expect(out).toEqual([{ window: 14, decision: { type: 'speechStart', atMs: 290, detectedAtMs: 480 } }]);
  });

  it('ignores a burst shorter than minSpeechMs', () => {
    const { out, m } = run([...rep(0, 5), ...rep(0.9, 4), ...rep(0, 30)]);
    expect(out).toEqual([]);
    expect(m.speaking).toBe(false);
  });

  it('keeps an onset alive between the thresholds (hysteresis) and aborts it below negThreshold', () => {
    // 0.4 is between negThreshold (0.35) and threshold (0.5): onset continues.
    expect(run([0.9, 0.4, 0.4, 0.4, 0.4]).out.map((o) => o.decision.type)).toEqual(['speechStart']);
    // 0.3 is below negThreshold: onset aborted, the next onset starts again from zero.
    const aborted = run([0.9, 0.9, 0.3, 0.9, 0.9, 0.9, 0.9, 0.9]);
    expect(aborted.out).toEqual([{ window: 7, decision: { type: 'speechStart', atMs: 66, detectedAtMs: 256 } }]);
  });

  it('does not start on probabilities between the thresholds alone', () => {
    expect(run(rep(0.45, 50)).out).toEqual([]);
  });

  it('ends speech after minSilenceMs from the first window below negThreshold, padded', () => {
    // Speech windows 0..19, silence from window 20 (640 ms). 400 ms = 12.5 windows → confirmed at window 32.
    const { out, m } = run([...rep(0.9, 20), ...rep(0.05, 20)]);
    expect(out).toEqual([
      { window: 4, decision: { type: 'speechStart', atMs: 0, detectedAtMs: 160 } },
      { window: 32, decision: { type: 'speechEnd', atMs: 670, durationMs: 670, detectedAtMs: 1056 } },
    ]);
    expect(m.speaking).toBe(false);
  });

  it('bridges a pause shorter than minSilenceMs', () => {
    const probs = [...rep(0.9, 10), ...rep(0.1, 10), ...rep(0.9, 10), ...rep(0, 20)];
    const types = run(probs).out.map((o) => o.decision.type);
    expect(types).toEqual(['speechStart', 'speechEnd']);
  });

  it('holds speech while the probability stays between the thresholds', () => {
    const { out, m } = run([...rep(0.9, 10), ...rep(0.4, 50)]);
    expect(out.map((o) => o.decision.type)).toEqual(['speechStart']);
    expect(m.speaking).toBe(true);
  });

  it('counts windows between the thresholds towards silence once an offset began', () => {
    // Offset at window 10; windows after it at 0.4 (< threshold) do not cancel it.
    const { out } = run([...rep(0.9, 10), 0.1, ...rep(0.4, 20)]);
    expect(out[1]).toEqual({
      window: 22,
      decision: { type: 'speechEnd', atMs: 350, durationMs: 350, detectedAtMs: 736 },
    });
  });

  it('cancels an offset when the probability returns above threshold', () => {
    const { out } = run([...rep(0.9, 10), ...rep(0.1, 5), 0.6, ...rep(0.1, 5)]);
    expect(out.map((o) => o.decision.type)).toEqual(['speechStart']);
  });

  it('reports several utterances with their durations', () => {
    const utterance = [...rep(0.95, 15), ...rep(0.02, 20)];
    const { out } = run([...utterance, ...utterance]);
    const ends = out.filter((o) => o.decision.type === 'speechEnd').map((o) => o.decision);
    expect(ends).toEqual([
      { type: 'speechEnd', atMs: 510, durationMs: 510, detectedAtMs: 896 },
      { type: 'speechEnd', atMs: 1630, durationMs: 540, detectedAtMs: 2016 },
    ]);
  });

  it('with zero minimums decides on the very window', () => {
    const opts = { minSpeechMs: 0, minSilenceMs: 0, speechPadMs: 0 };
    expect(run([0.1, 0.9, 0.1], opts).out).toEqual([
      { window: 1, decision: { type: 'speechStart', atMs: 32, detectedAtMs: 64 } },
      { window: 2, decision: { type: 'speechEnd', atMs: 64, durationMs: 32, detectedAtMs: 96 } },
    ]);
  });

  it('honours custom thresholds', () => {
    const opts = { threshold: 0.8, negThreshold: 0.7 };
    expect(run(rep(0.75, 20), opts).out).toEqual([]);
    expect(run(rep(0.85, 20), opts).out.map((o) => o.decision.type)).toEqual(['speechStart']);
  });

  it('clamps the padded start at zero and the padded end at the decision time', () => {
    const { out } = run([...rep(0.9, 6), ...rep(0, 20)], { speechPadMs: 1000, minSilenceMs: 64 });
    expect(out[0]?.decision).toMatchObject({ type: 'speechStart', atMs: 0 });
    // Offset at window 6 (192 ms), confirmed at the end of window 7 (256 ms): the end cannot pass 256.
    expect(out[1]?.decision).toEqual({ type: 'speechEnd', atMs: 256, durationMs: 256, detectedAtMs: 256 });
  });

  it('finish() closes an open utterance and discards an unconfirmed onset', () => {
    const speaking = new VadStateMachine(W);
    for (const p of rep(0.9, 10)) speaking.push(p);
    expect(speaking.finish()).toEqual({ type: 'speechEnd', atMs: 320, durationMs: 320, detectedAtMs: 320 });
    expect(speaking.speaking).toBe(false);
    expect(speaking.finish()).toBeUndefined();

    const offset = new VadStateMachine(W);
    for (const p of [...rep(0.9, 10), ...rep(0, 3)]) offset.push(p);
    expect(offset.finish()).toEqual({ type: 'speechEnd', atMs: 350, durationMs: 350, detectedAtMs: 416 });

    const onset = new VadStateMachine(W);
    for (const p of rep(0.9, 2)) onset.push(p);
    expect(onset.finish()).toBeUndefined();
  });

  it('treats NaN as silence and exposes the last probability', () => {
    const m = new VadStateMachine(W);
    m.push(0.7);
    expect(m.probability).toBe(0.7);
    m.push(Number.NaN);
    expect(m.probability).toBe(0);
  });

  it('rejects a non-positive window length', () => {
    expect(() => new VadStateMachine(0)).toThrow(VadError);
  });
});
