import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors/app-error.js';
import {
  AgentConnectError,
  DEFAULT_AGENT_RECONNECT_POLICY,
  reconnectDelayMs,
  reconnectPolicySchema,
  runWithReconnect,
} from '../../../src/transports/agent-ws/index.js';

const retryable = (): AppError =>
  new AppError('down', { code: 'AGENT_UNREACHABLE', category: 'connectivity', retryable: true });
const fatal = (): AppError =>
  new AppError('no', { code: 'AGENT_AUTH_REJECTED', category: 'authentication', retryable: false });
const policy = { initialMs: 1, maxMs: 8, factor: 2, maxAttempts: 4 };

describe('reconnect policy', () => {
  it('computes capped exponential delays, with bounded jitter', () => {
    const p = { initialMs: 100, maxMs: 1000, factor: 3, maxAttempts: 10 };
    expect([1, 2, 3, 4, 5].map((n) => reconnectDelayMs(p, n))).toEqual([100, 300, 900, 1000, 1000]);
    const jittered = { ...p, jitter: 0.5 };
    expect(reconnectDelayMs(jittered, 1, () => 0)).toBe(50);
    expect(reconnectDelayMs(jittered, 1, () => 1)).toBe(150);
    expect(reconnectDelayMs(jittered, 5, () => 1)).toBe(1000);
  });

  it('validates policies as data', () => {
    expect(reconnectPolicySchema.safeParse(DEFAULT_AGENT_RECONNECT_POLICY).success).toBe(true);
    expect(reconnectPolicySchema.safeParse({ ...policy, maxAttempts: 0 }).success).toBe(false);
    expect(reconnectPolicySchema.safeParse({ ...policy, initialMs: 10, maxMs: 5 }).success).toBe(false);
    expect(reconnectPolicySchema.safeParse({ ...policy, factor: 0.5 }).success).toBe(false);
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

  it('ends with AGENT_CONNECT_ABORTED when the signal fires during a wait', async () => {
    const controller = new AbortController();
    const pending = runWithReconnect(
      async () => {
        throw retryable();
      },
      {
        policy: { initialMs: 60_000, maxMs: 60_000, factor: 1, maxAttempts: 3 },
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
