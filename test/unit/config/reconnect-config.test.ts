import { describe, expect, it } from 'vitest';
import { realtimeAgentSchema } from '../../../src/config/realtime-route.js';
import { routeSchema } from '../../../src/config/routes.js';

const agentOf = (reconnect?: unknown) =>
  routeSchema.parse({
    name: 'r',
    agent: { kind: 'websocket', url: 'ws://agent', ...(reconnect === undefined ? {} : { reconnect }) },
  }).agent as { reconnect: unknown };

describe('route reconnect settings: maxAttempts counts attempts in total, like every retry policy', () => {
  it('defaults per agent kind', () => {
    expect(agentOf().reconnect).toEqual({ maxAttempts: 3, initialMs: 250, maxMs: 2000 });
    expect(realtimeAgentSchema.parse({ kind: 'openai-realtime', url: 'ws://x/rt' }).reconnect).toEqual({
      maxAttempts: 4,
      initialMs: 250,
      maxMs: 4000,
    });
  });

  it('takes maxAttempts as given, 0 meaning unlimited', () => {
    expect(agentOf({ maxAttempts: 5, initialMs: 10 }).reconnect).toEqual({
      maxAttempts: 5,
      initialMs: 10,
      maxMs: 2000,
    });
    expect(agentOf({ maxAttempts: 0 }).reconnect).toMatchObject({ maxAttempts: 0 });
  });

  it('still accepts the older attempts (retries after the first try) as maxAttempts - 1', () => {
    expect(agentOf({ attempts: 2 }).reconnect).toMatchObject({ maxAttempts: 3 });
    expect(agentOf({ attempts: 0 }).reconnect).toMatchObject({ maxAttempts: 1 });
  });

  it('refuses both keys at once, negative counts and unknown keys', () => {
    for (const reconnect of [{ attempts: 1, maxAttempts: 2 }, { maxAttempts: -1 }, { retries: 2 }]) {
      expect(
        routeSchema.safeParse({ name: 'r', agent: { kind: 'websocket', url: 'ws://agent', reconnect } }).success,
      ).toBe(false);
    }
  });
});
