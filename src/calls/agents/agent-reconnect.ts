import type { ReconnectConfig } from '../../config/reconnect-config.js';
import type { RetryPolicy } from '../../lib/retry-policy.js';

/** A route's `reconnect` settings (already normalised to `maxAttempts`, attempts in total) as the shared retry policy. */
export function reconnectPolicyOf(r: ReconnectConfig): RetryPolicy {
  return {
    initialDelayMs: r.initialMs,
    maxDelayMs: Math.max(r.maxMs, r.initialMs),
    multiplier: 2,
    maxAttempts: r.maxAttempts,
    jitter: 0.2,
  };
}
