import { isRetryableDbError } from '../db/db-error.js';
import { delayFor, type RetryPolicy, shouldRetry } from '../lib/retry-policy.js';
import { abortableDelay } from './backoff.js';

export interface RetryTransientOptions {
  policy: RetryPolicy;
  signal?: AbortSignal;
  /** Which errors are worth another try; transient database errors by default. */
  isRetryable?: (err: unknown) => boolean;
  /** Called before each wait, e.g. to log the first failure of a streak. */
  onRetry?: (err: unknown, retry: number, delayMs: number) => void;
}

/**
 * Runs `fn`, repeating it after transient failures on the policy's schedule until it succeeds, fails for good, the
 * attempts run out (the last error is thrown) or the signal aborts (its reason is thrown).
 */
export async function retryTransient<T>(fn: () => Promise<T>, o: RetryTransientOptions): Promise<T> {
  const retryable = o.isRetryable ?? isRetryableDbError;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!retryable(err) || !shouldRetry(o.policy, attempt) || o.signal?.aborted) throw err;
      const delay = delayFor(o.policy, attempt);
      o.onRetry?.(err, attempt, delay);
      await abortableDelay(delay, o.signal);
    }
  }
}
