import { describe, expect, it } from 'vitest';
import {
  abortableDelay,
  bullRetryOptions,
  RETRY_POLICY_BACKOFF,
  retryPolicyBackoff,
} from '../../../src/jobs/backoff.js';
import type { RetryPolicy } from '../../../src/lib/retry-policy.js';

const policy: RetryPolicy = { initialDelayMs: 250, maxDelayMs: 1000, multiplier: 2, jitter: 0, maxAttempts: 6 };
type StrategyJob = Parameters<typeof retryPolicyBackoff>[3];
const jobWith = (backoff: unknown): StrategyJob => ({ opts: { backoff } }) as unknown as StrategyJob;

describe('BullMQ retries by the shared retry policy', () => {
  it('map maxAttempts onto BullMQ attempts (both count the first run) and carry the policy in the backoff', () => {
    expect(bullRetryOptions(policy)).toEqual({
      attempts: 6,
      backoff: { type: RETRY_POLICY_BACKOFF, delay: 250, policy },
    });
    expect(bullRetryOptions({ ...policy, maxAttempts: 0 }).attempts).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('the custom backoff strategy waits by the policy the job carries (BullMQ passes 1 for the first retry)', () => {
    const { backoff } = bullRetryOptions(policy);
    const job = jobWith(backoff);
    expect([1, 2, 3, 4].map((n) => retryPolicyBackoff(n, RETRY_POLICY_BACKOFF, undefined, job))).toEqual([
      250, 500, 1000, 1000,
    ]);
  });

  it('a job without a readable policy is not retried (-1) rather than retried on a schedule nobody chose', () => {
    expect(retryPolicyBackoff(1, RETRY_POLICY_BACKOFF, undefined, jobWith({ type: RETRY_POLICY_BACKOFF }))).toBe(-1);
    expect(retryPolicyBackoff(1, RETRY_POLICY_BACKOFF, undefined, jobWith(500))).toBe(-1);
    expect(retryPolicyBackoff(1, RETRY_POLICY_BACKOFF, undefined, undefined)).toBe(-1);
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
