import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { isAppError } from '../../errors/app-error.js';
import { AgentConnectError } from './agent-connect-error.js';

/**
 * How to retry a connection, as data: exponential backoff from `initialMs`, multiplied by `factor` per retry, capped
 * at `maxMs`, spread by ±`jitter` (a fraction, 0 = none), at most `maxAttempts` attempts in total (the first
 * included). Only errors marked `retryable` are retried.
 */
export interface ReconnectPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly maxAttempts: number;
  readonly jitter?: number;
}

export const reconnectPolicySchema = z
  .object({
    initialMs: z.number().int().nonnegative(),
    maxMs: z.number().int().nonnegative(),
    factor: z.number().min(1),
    maxAttempts: z.number().int().min(1),
    jitter: z.number().min(0).max(1).optional(),
  })
  .refine((p) => p.maxMs >= p.initialMs, { message: 'maxMs must be at least initialMs', path: ['maxMs'] });

/** Agent connections: 4 attempts over roughly 1.75 s, then give up and end the call with a reason. */
export const DEFAULT_AGENT_RECONNECT_POLICY: ReconnectPolicy = Object.freeze({
  initialMs: 250,
  maxMs: 2000,
  factor: 2,
  maxAttempts: 4,
  jitter: 0.2,
});

/** Delay before retry number `retry` (1 = the wait after the first failed attempt). */
export function reconnectDelayMs(policy: ReconnectPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, retry - 1));
  const jitter = policy.jitter ?? 0;
  if (jitter === 0) return Math.round(base);
  const spread = base * jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(policy.maxMs, base + spread)));
}

export interface RetryInfo {
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  readonly error: unknown;
  /** Wait before the next attempt. */
  readonly delayMs: number;
}

export interface RunWithReconnectOptions {
  readonly policy: ReconnectPolicy;
  readonly signal: AbortSignal;
  /** Called before each wait; for logging and metrics. */
  readonly onRetry?: (info: RetryInfo) => void;
  readonly random?: () => number;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or the policy's attempts are used up (then the
 * last error is thrown). Waits between attempts honour `signal`; an abort ends the loop with
 * `AGENT_CONNECT_ABORTED`. Each attempt receives its 1-based number and the signal.
 */
export async function runWithReconnect<T>(
  attempt: (attemptNumber: number, signal: AbortSignal) => Promise<T>,
  options: RunWithReconnectOptions,
): Promise<T> {
  const { policy, signal } = options;
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  for (let n = 1; ; n += 1) {
    if (signal.aborted) throw aborted(signal);
    try {
      return await attempt(n, signal);
    } catch (err) {
      if (signal.aborted) throw aborted(signal, err);
      if (!isAppError(err) || !err.retryable || n >= maxAttempts) throw err;
      const delayMs = reconnectDelayMs(policy, n, options.random);
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
