import type { BackoffOptions, BackoffStrategy } from 'bullmq';
import { delayFor, type RetryPolicy, retryPolicySchema } from '../lib/retry-policy.js';

/** Name of the BullMQ backoff strategy that follows the shared retry policy (README "Retry policy"). */
export const RETRY_POLICY_BACKOFF = 'ava-retry-policy';

/** The policy travels with the job, inside its `backoff` options. */
type PolicyBackoffOptions = BackoffOptions & { policy: RetryPolicy };

/**
 * BullMQ job options for a retry policy: `attempts` is the policy's `maxAttempts` (BullMQ also counts the first
 * run; 0, unlimited, becomes the largest safe integer) and the backoff is `retryPolicyBackoff`, which every worker
 * of ours registers.
 */
export function bullRetryOptions(policy: RetryPolicy): { attempts: number; backoff: BackoffOptions } {
  const backoff: PolicyBackoffOptions = {
    type: RETRY_POLICY_BACKOFF,
    delay: policy.initialDelayMs,
    policy: { ...policy },
  };
  return { attempts: policy.maxAttempts === 0 ? Number.MAX_SAFE_INTEGER : policy.maxAttempts, backoff };
}

/**
 * The custom BullMQ backoff strategy: the wait before retry `attemptsMade` (BullMQ passes 1 for the first retry)
 * by the policy stored in the job's `backoff` options. A job whose policy cannot be read (-1) fails for good rather
 * than retrying on a schedule nobody chose.
 */
export const retryPolicyBackoff: BackoffStrategy = (attemptsMade, _type, _err, job) => {
  const stored = job?.opts.backoff;
  const parsed = retryPolicySchema.safeParse(
    typeof stored === 'object' ? (stored as { policy?: unknown }).policy : undefined,
  );
  return parsed.success ? delayFor(parsed.data, attemptsMade) : -1;
};

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
