import { z } from 'zod';

/**
 * A retry schedule as data: the delay before retry n (1-based) is `baseMs` (fixed) or `baseMs * 2^(n-1)`
 * (exponential), capped at `maxMs`, reduced by up to `jitter` (0..1) of itself at random. `maxAttempts` counts the
 * first try, so 1 means "never retry".
 */
export const backoffPolicySchema = z
  .object({
    type: z.enum(['fixed', 'exponential']),
    baseMs: z.number().int().min(1).max(3_600_000),
    maxMs: z.number().int().min(1).max(86_400_000),
    maxAttempts: z.number().int().min(1).max(1000),
    jitter: z.number().min(0).max(1).default(0),
  })
  .strict();
export type BackoffPolicy = z.output<typeof backoffPolicySchema>;

/** Delay in ms before retry `retry` (1 = the first retry). */
export function backoffDelay(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.trunc(retry));
  const raw = policy.type === 'fixed' ? policy.baseMs : policy.baseMs * 2 ** Math.min(n - 1, 40);
  const capped = Math.min(raw, policy.maxMs);
  return Math.round(capped * (1 - policy.jitter * random()));
}

/** BullMQ job options equivalent to a policy (BullMQ's exponential backoff is `delay * 2^(attemptsMade-1)`). */
export function bullRetryOptions(policy: BackoffPolicy): {
  attempts: number;
  backoff: { type: 'fixed' | 'exponential'; delay: number; jitter: number };
} {
  return {
    attempts: policy.maxAttempts,
    backoff: { type: policy.type, delay: policy.baseMs, jitter: policy.jitter },
  };
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
