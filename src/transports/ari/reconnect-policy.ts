import type { RetryPolicy } from '../../lib/retry-policy.js';

/** The ARI events socket reconnects without limit (0 attempts = unlimited), backing off to 15 s. */
export const DEFAULT_ARI_RECONNECT_POLICY: RetryPolicy = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 15_000,
  multiplier: 2,
  jitter: 0.2,
  maxAttempts: 0,
});
