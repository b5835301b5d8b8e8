import { describe, expect, it } from 'vitest';
import { abortableDelay, backoffDelay, bullRetryOptions } from '../../../src/jobs/backoff.js';

describe('backoff policies', () => {
  it('grow exponentially up to the cap, stay flat when fixed, and shrink by at most the jitter', () => {
    const exp = { type: 'exponential' as const, baseMs: 100, maxMs: 1000, maxAttempts: 10, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(exp, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
    const fixed = { ...exp, type: 'fixed' as const };
    expect([1, 5, 50].map((n) => backoffDelay(fixed, n))).toEqual([100, 100, 100]);
    const jittered = { ...exp, jitter: 0.5 };
    expect(backoffDelay(jittered, 3, () => 0)).toBe(400);
    expect(backoffDelay(jittered, 3, () => 1)).toBe(200);
    expect(backoffDelay(exp, 10_000)).toBe(1000);
  });

  it('map onto BullMQ attempts and backoff', () => {
    expect(bullRetryOptions({ type: 'exponential', baseMs: 250, maxMs: 9000, maxAttempts: 6, jitter: 0.1 })).toEqual({
      attempts: 6,
      backoff: { type: 'exponential', delay: 250, jitter: 0.1 },
    });
  });

  it('abortable delays reject with the abort reason', async () => {
    const ac = new AbortController();
    const p = abortableDelay(60_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await expect(abortableDelay(1, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    await expect(abortableDelay(1)).resolves.toBeUndefined();
  });
});
