import { z } from 'zod';

/**
 * The one retry and backoff policy of the adapter, as data (ARI events reconnect, agent connections, database
 * retries, HTTP tools and BullMQ job retries all use it):
 *
 * - the wait before retry `n` (1 = the wait after the first failed attempt) is
 *   `initialDelayMs * multiplier^(n-1)`, capped at `maxDelayMs`;
 * - `jitter` (0..1) spreads each wait by a random factor in `[1 - jitter, 1 + jitter]`; no wait ever exceeds
 *   `maxDelayMs`;
 * - `maxAttempts` counts attempts in total, the first one included: 1 never retries, 3 retries twice,
 *   0 retries without limit (until the owner is closed or an error is not retryable).
 *
 * A `multiplier` of 1 gives a fixed delay.
 */
export interface RetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly maxAttempts: number;
}

/** Parses a policy from untrusted input (config, job options); every field is required. */
export const retryPolicySchema = z
  .object({
    initialDelayMs: z.number().int().min(0).max(3_600_000),
    maxDelayMs: z.number().int().min(0).max(86_400_000),
    multiplier: z.number().min(1).max(100),
    jitter: z.number().min(0).max(1),
    maxAttempts: z.number().int().min(0).max(1_000_000),
  })
  .strict()
  .refine((p) => p.maxDelayMs >= p.initialDelayMs, {
    message: 'maxDelayMs must be at least initialDelayMs',
    path: ['maxDelayMs'],
  });

/** Returns the policy unchanged, or throws a RangeError naming the first invalid field. */
export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const parsed = retryPolicySchema.safeParse(policy);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`retry policy: ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  return policy;
}

/** Exponents beyond this change nothing (the cap is reached long before) and would only risk overflow. */
const MAX_EXPONENT = 64;

/**
 * Wait in ms before retry number `retry` (1 = the wait after the first failed attempt). `random` returns a value
 * in [0, 1); the result lies in `[d * (1 - jitter), min(maxDelayMs, d * (1 + jitter))]` for the capped delay `d`.
 */
export function delayFor(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exponent = Math.min(MAX_EXPONENT, Math.max(0, Math.trunc(retry) - 1));
  const capped = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** exponent);
  if (policy.jitter === 0) return Math.round(capped);
  const scale = 1 + policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(policy.maxDelayMs, Math.max(0, capped * scale)));
}

/** Whether another attempt may follow `attemptsMade` attempts (all failed) under the policy. */
export function shouldRetry(policy: RetryPolicy, attemptsMade: number): boolean {
  return policy.maxAttempts === 0 || attemptsMade < policy.maxAttempts;
}
