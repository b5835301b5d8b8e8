/** Reconnect policy as data: exponential backoff with a cap, jitter and an optional attempt limit. */

export interface ReconnectPolicy {
  /** Delay before the first retry. */
  readonly initialMs: number;
  /** Upper bound of any delay (before jitter). */
  readonly maxMs: number;
  /** Growth per attempt (2 doubles the delay). */
  readonly factor: number;
  /** Fraction (0..1) of the delay randomised: the delay is scaled by a factor in [1 - jitter, 1 + jitter]. */
  readonly jitter: number;
  /** How many retries follow consecutive failures before the owner gives up; undefined retries forever. */
  readonly maxAttempts?: number | undefined;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = Object.freeze({
  initialMs: 500,
  maxMs: 15_000,
  factor: 2,
  jitter: 0.2,
});

/** Throws a RangeError naming the first invalid field. */
export function validateReconnectPolicy(policy: ReconnectPolicy): ReconnectPolicy {
  const fail = (field: string, rule: string) => {
    throw new RangeError(`reconnect policy: ${field} ${rule}`);
  };
  if (!Number.isFinite(policy.initialMs) || policy.initialMs < 0) fail('initialMs', 'must be a finite number ≥ 0');
  if (!Number.isFinite(policy.maxMs) || policy.maxMs < policy.initialMs) fail('maxMs', 'must be ≥ initialMs');
  if (!Number.isFinite(policy.factor) || policy.factor < 1) fail('factor', 'must be ≥ 1');
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) fail('jitter', 'must be within 0..1');
  if (policy.maxAttempts !== undefined && !(Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 1)) {
    fail('maxAttempts', 'must be an integer ≥ 1');
  }
  return policy;
}

/**
 * Delay before retry number `attempt` (1 = first retry). `random` returns a value in [0, 1).
 * Returns undefined when the policy allows no further attempt.
 */
export function reconnectDelayMs(policy: ReconnectPolicy, attempt: number, random: () => number): number | undefined {
  if (policy.maxAttempts !== undefined && attempt > policy.maxAttempts) return undefined;
  const exponential = policy.initialMs * policy.factor ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxMs, exponential);
  const scale = 1 + policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(capped * scale));
}
