import { describe, expect, it } from 'vitest';
import { OneTimeTokens } from '../../../src/calls/agents/one-time-tokens.js';
import { agentsWsUrl } from '../../../src/dial-in-services.js';

const A = { callId: 'call-a', route: 'bot', dialect: 'pipecat' };
const B = { callId: 'call-b', route: 'bot', dialect: 'native' };

describe('OneTimeTokens', () => {
  it('accepts a token once, for its own call, until its TTL', () => {
    let now = 1000;
    const tokens = new OneTimeTokens({ ttlMs: 30_000, now: () => now });
    const a = tokens.issue(A);
    const b = tokens.issue(B);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Naming another call refuses the token and leaves it good for its own call.
    expect(tokens.redeem(a, 'call-b')).toEqual({ ok: false, reason: 'wrong_call' });
    expect(tokens.redeem(a, 'call-a')).toEqual({ ok: true, binding: A });
    expect(tokens.redeem(a)).toEqual({ ok: false, reason: 'used' });
    now += 30_000;
    expect(tokens.redeem(b)).toEqual({ ok: false, reason: 'expired' });
    expect(tokens.redeem('made-up')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('revoking a call invalidates its unused tokens; old entries are forgotten', () => {
    let now = 0;
    const tokens = new OneTimeTokens({ ttlMs: 1000, now: () => now, maxTokens: 2 });
    const a = tokens.issue(A);
    tokens.revoke('call-a');
    expect(tokens.redeem(a)).toEqual({ ok: false, reason: 'used' });
    const b1 = tokens.issue(B);
    tokens.issue(B);
    tokens.issue(B);
    // Bounded: the oldest went first.
    expect(tokens.redeem(b1)).toEqual({ ok: false, reason: 'unknown' });
    now = 5000;
    tokens.issue(A);
    expect(tokens.redeem(a)).toEqual({ ok: false, reason: 'unknown' });
  });
});

describe('agentsWsUrl', () => {
  it('uses the configured public base (its path kept), else the bound HTTP address', () => {
    expect(agentsWsUrl('wss://adapter.example.com/voice/', undefined)).toBe(
      'wss://adapter.example.com/voice/v1/agents/ws',
    );
    expect(agentsWsUrl(undefined, { host: '0.0.0.0', port: 8080 })).toBe('ws://127.0.0.1:8080/v1/agents/ws');
    expect(agentsWsUrl(undefined, { host: '::1', port: 81 })).toBe('ws://[::1]:81/v1/agents/ws');
    expect(agentsWsUrl(undefined, undefined)).toBeUndefined();
  });
});
