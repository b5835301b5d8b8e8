import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  delayFor,
  type RetryPolicy,
  retryPolicySchema,
  shouldRetry,
  validateRetryPolicy,
} from '../../../src/lib/retry-policy.js';

const policy: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0, maxAttempts: 5 };

describe('retry policy: delays', () => {
  it('grows by the multiplier from the first retry up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => delayFor(policy, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3].map((n) => delayFor({ ...policy, multiplier: 3 }, n))).toEqual([100, 300, 900]);
  });

  it('stays flat with a multiplier of 1 (a fixed delay)', () => {
    expect([1, 5, 50].map((n) => delayFor({ ...policy, multiplier: 1 }, n))).toEqual([100, 100, 100]);
  });

  it('stays finite and capped for very late retries and treats retry < 1 as the first', () => {
    expect(delayFor({ ...policy, multiplier: 100 }, 1_000_000)).toBe(1000);
    expect(delayFor({ ...policy, initialDelayMs: 0 }, 10_000)).toBe(0);
    expect(delayFor(policy, 0)).toBe(100);
  });

  it('spreads by ±jitter around the delay but never past the cap', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(delayFor(jittered, 1, () => 0)).toBe(50);
    expect(delayFor(jittered, 1, () => 0.5)).toBe(100);
    expect(delayFor(jittered, 1, () => 0.999_999)).toBe(150);
    expect(delayFor(jittered, 5, () => 0.999_999)).toBe(1000);
    expect(delayFor(jittered, 5, () => 0)).toBe(500);
  });

  it('keeps every jittered delay within [d(1 - jitter), min(cap, d(1 + jitter))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (initialDelayMs, extra, multiplier, jitter, retry, r) => {
          const p = { initialDelayMs, maxDelayMs: initialDelayMs + extra, multiplier, jitter, maxAttempts: 0 };
          const d = Math.min(p.maxDelayMs, initialDelayMs * multiplier ** (retry - 1));
          const delay = delayFor(p, retry, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(d * (1 - jitter)));
          expect(delay).toBeLessThanOrEqual(Math.min(p.maxDelayMs, Math.ceil(d * (1 + jitter))));
        },
      ),
    );
  });
});

describe('retry policy: maxAttempts counts attempts in total, the first included', () => {
  it('1 never retries; 3 allows two retries', () => {
    expect(shouldRetry({ ...policy, maxAttempts: 1 }, 1)).toBe(false);
    const three = { ...policy, maxAttempts: 3 };
    expect([1, 2, 3, 4].map((made) => shouldRetry(three, made))).toEqual([true, true, false, false]);
  });

  it('0 retries without limit', () => {
    const unlimited = { ...policy, maxAttempts: 0 };
    expect([1, 10, 1_000_000].every((made) => shouldRetry(unlimited, made))).toBe(true);
  });
});

describe('retry policy: validation', () => {
  it('accepts a valid policy unchanged and rejects invalid ones naming the field', () => {
    expect(validateRetryPolicy(policy)).toBe(policy);
    expect(() => validateRetryPolicy({ ...policy, jitter: 2 })).toThrow(/jitter/);
    expect(() => validateRetryPolicy({ ...policy, maxDelayMs: 10 })).toThrow(/maxDelayMs/);
    expect(() => validateRetryPolicy({ ...policy, multiplier: 0.5 })).toThrow(/multiplier/);
    expect(() => validateRetryPolicy({ ...policy, maxAttempts: -1 })).toThrow(/maxAttempts/);
    expect(() => validateRetryPolicy({ ...policy, maxAttempts: 1.5 })).toThrow(/maxAttempts/);
  });

  it('parses untrusted input strictly', () => {
    expect(retryPolicySchema.safeParse({ ...policy, maxAttempts: 0 }).success).toBe(true);
    expect(retryPolicySchema.safeParse({ ...policy, extra: 1 }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ initialDelayMs: 1, maxDelayMs: 2 }).success).toBe(false);
  });
});
