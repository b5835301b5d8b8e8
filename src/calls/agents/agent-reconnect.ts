import type { ReconnectConfig } from '../../config/routes.js';
import type { ReconnectPolicy } from '../../transports/agent-ws/reconnect-policy.js';

/** A route's reconnect settings as the transport's policy: `attempts` retries after the first try. */
export function reconnectPolicyOf(r: ReconnectConfig): ReconnectPolicy {
  return {
    initialMs: r.initialMs,
    maxMs: Math.max(r.maxMs, r.initialMs),
    factor: 2,
    maxAttempts: r.attempts + 1,
    jitter: 0.2,
  };
}
