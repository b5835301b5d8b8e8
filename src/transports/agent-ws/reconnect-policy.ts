import { setTimeout as delay } from 'node:timers/promises';
import { isAppError } from '../../errors/app-error.js';
import { delayFor, type RetryPolicy, shouldRetry } from '../../lib/retry-policy.js';
import { AgentConnectError } from './agent-connect-error.js';

/** Agent connections: 4 attempts in total over roughly 1.75 s, then give up and end the call with a reason. */
export const DEFAULT_AGENT_RECONNECT_POLICY: RetryPolicy = Object.freeze({
  initialDelayMs: 250,
  maxDelayMs: 2000,
  multiplier: 2,
  maxAttempts: 4,
  jitter: 0.2,
});

export interface RetryInfo {
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  readonly error: unknown;
  /** Wait before the next attempt. */
  readonly delayMs: number;
}

export interface RunWithReconnectOptions {
  readonly policy: RetryPolicy;
  readonly signal: AbortSignal;
  /** Called before each wait; for logging and metrics. */
  readonly onRetry?: (info: RetryInfo) => void;
  readonly random?: () => number;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or the policy's `maxAttempts` are used up (then
 * the last error is thrown; README "Retry policy"). Waits between attempts honour `signal`; an abort ends the loop with
 * `AGENT_CONNECT_ABORTED`. Each attempt receives its 1-based number and the signal.
 */
export async function runWithReconnect<T>(
  attempt: (attemptNumber: number, signal: AbortSignal) => Promise<T>,
  options: RunWithReconnectOptions,
): Promise<T> {
  const { policy, signal } = options;
  for (let n = 1; ; n += 1) {
    if (signal.aborted) throw aborted(signal);
    try {
      return await attempt(n, signal);
    } catch (err) {
      if (signal.aborted) throw aborted(signal, err);
      if (!isAppError(err) || !err.retryable || !shouldRetry(policy, n)) throw err;
      const delayMs = delayFor(policy, n, options.random);
      options.onRetry?.({ attempt: n, error: err, delayMs });
      try {
        await delay(delayMs, undefined, { signal });
      } catch {
        throw aborted(signal, err);
      }
    }
  }
}

function aborted(signal: AbortSignal, lastError?: unknown): AgentConnectError {
  return new AgentConnectError('connecting to the agent was cancelled', {
    code: 'AGENT_CONNECT_ABORTED',
    category: 'application',
    retryable: false,
    cause: signal.reason,
    ...(lastError === undefined ? {} : { details: { lastError: String(lastError) } }),
  });
}
