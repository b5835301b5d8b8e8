import { describe, expect, it } from 'vitest';
import { reconnectPolicyOf } from '../../../src/calls/agents/agent-reconnect.js';
import { AppError } from '../../../src/errors/app-error.js';
import { delayFor, shouldRetry, validateRetryPolicy } from '../../../src/lib/retry-policy.js';
import {
  AgentConnectError,
  DEFAULT_AGENT_RECONNECT_POLICY,
  runWithReconnect,
} from '../../../src/transports/agent-ws/index.js';

const retryable = (): AppError =>
  new AppError('down', { code: 'AGENT_UNREACHABLE', category: 'connectivity', retryable: true });
const fatal = (): AppError =>
  new AppError('no', { code: 'AGENT_AUTH_REJECTED', category: 'authentication', retryable: false });
const policy = { initialDelayMs: 1, maxDelayMs: 8, multiplier: 2, jitter: 0, maxAttempts: 4 };

describe('agent reconnect (the shared retry policy)', () => {
  it('defaults to 4 attempts in total, backing off from 250 ms', () => {
    expect(validateRetryPolicy(DEFAULT_AGENT_RECONNECT_POLICY)).toBe(DEFAULT_AGENT_RECONNECT_POLICY);
    expect([1, 2, 3, 4].map((n) => shouldRetry(DEFAULT_AGENT_RECONNECT_POLICY, n))).toEqual([true, true, true, false]);
    expect(delayFor(DEFAULT_AGENT_RECONNECT_POLICY, 1, () => 0.5)).toBe(250);
  });

  it("maps a route's reconnect settings onto the policy", () => {
    expect(reconnectPolicyOf({ maxAttempts: 3, initialMs: 250, maxMs: 2000 })).toEqual({
      initialDelayMs: 250,
      maxDelayMs: 2000,
      multiplier: 2,
      jitter: 0.2,
      maxAttempts: 3,
    });
    expect(reconnectPolicyOf({ maxAttempts: 1, initialMs: 500, maxMs: 100 })).toMatchObject({
      maxAttempts: 1,
      maxDelayMs: 500,
    });
  });

  it('retries retryable errors until success', async () => {
    const seen: number[] = [];
    const delays: number[] = [];
    const result = await runWithReconnect(
      async (n) => {
        seen.push(n);
        if (n < 3) throw retryable();
        return 'connected';
      },
      { policy, signal: new AbortController().signal, onRetry: (i) => delays.push(i.delayMs) },
    );
    expect(result).toBe('connected');
    expect(seen).toEqual([1, 2, 3]);
    expect(delays).toEqual([1, 2]);
  });

  it('stops at once on a non-retryable error, and on errors that are not AppErrors', async () => {
    let calls = 0;
    await expect(
      runWithReconnect(
        async () => {
          calls += 1;
          throw fatal();
        },
        { policy, signal: new AbortController().signal },
      ),
    ).rejects.toMatchObject({ code: 'AGENT_AUTH_REJECTED' });
    expect(calls).toBe(1);
    await expect(
      runWithReconnect(
        async () => {
          throw new TypeError('bug');
        },
        { policy, signal: new AbortController().signal },
      ),
    ).rejects.toBeInstanceOf(TypeError);
  });

  it('gives up after maxAttempts with the last error', async () => {
    let calls = 0;
    await expect(
      runWithReconnect(
        async () => {
          calls += 1;
          throw retryable();
        },
        { policy, signal: new AbortController().signal },
      ),
    ).rejects.toMatchObject({ code: 'AGENT_UNREACHABLE' });
    expect(calls).toBe(4);
  });

  it('keeps retrying when maxAttempts is 0 (unlimited)', async () => {
    const seen: number[] = [];
    const result = await runWithReconnect(
      async (n) => {
        seen.push(n);
        if (n < 12) throw retryable();
        return 'connected';
      },
      { policy: { ...policy, initialDelayMs: 0, maxDelayMs: 0, maxAttempts: 0 }, signal: new AbortController().signal },
    );
    expect(result).toBe('connected');
    expect(seen).toHaveLength(12);
  });

  it('ends with AGENT_CONNECT_ABORTED when the signal fires during a wait', async () => {
    const controller = new AbortController();
    const pending = runWithReconnect(
      async () => {
        throw retryable();
      },
      {
        policy: { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1, jitter: 0, maxAttempts: 3 },
        signal: controller.signal,
        onRetry: () => controller.abort(),
      },
    );
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentConnectError);
    expect(err).toMatchObject({ code: 'AGENT_CONNECT_ABORTED', retryable: false });
  });

  it('does not start when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort();
    let calls = 0;
    await expect(
      runWithReconnect(
        async () => {
          calls += 1;
          return 1;
        },
        { policy, signal: controller.signal },
      ),
    ).rejects.toMatchObject({ code: 'AGENT_CONNECT_ABORTED' });
    expect(calls).toBe(0);
  });
});
