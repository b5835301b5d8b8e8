import { describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../../src/config/api-tokens.js';
import { RateLimiter } from '../../../src/http/rate-limiter.js';
import { scopeAllows, TokenAuthenticator } from '../../../src/http/token-auth.js';

describe('TokenAuthenticator', () => {
  const auth = new TokenAuthenticator([
    { name: 'ops', scope: 'control', token: 'a'.repeat(20) },
    { name: 'viewer', scope: 'read', token: 'b'.repeat(20) },
  ]);
  it('resolves a bearer token to its principal', () => {
    expect(auth.authenticate(`Bearer ${'a'.repeat(20)}`)).toEqual({ name: 'ops', scope: 'control' });
    expect(auth.authenticate(`bearer ${'b'.repeat(20)}`)).toEqual({ name: 'viewer', scope: 'read' });
  });
  it('refuses unknown, prefixed, missing and non-bearer credentials', () => {
    expect(auth.authenticate(`Bearer ${'a'.repeat(19)}`)).toBeUndefined();
    expect(auth.authenticate(`Bearer ${'a'.repeat(21)}`)).toBeUndefined();
    expect(auth.authenticate(undefined)).toBeUndefined();
    expect(auth.authenticate(`Basic ${'a'.repeat(20)}`)).toBeUndefined();
  });
  it('control includes read, read does not include control', () => {
    expect(scopeAllows('control', 'read')).toBe(true);
    expect(scopeAllows('read', 'read')).toBe(true);
    expect(scopeAllows('read', 'control')).toBe(false);
  });
  it('agent is its own scope: no REST access, and control does not include it', () => {
    expect(scopeAllows('agent', 'agent')).toBe(true);
    expect(scopeAllows('agent', 'read')).toBe(false);
    expect(scopeAllows('agent', 'control')).toBe(false);
    expect(scopeAllows('control', 'agent')).toBe(false);
    expect(scopeAllows('read', 'agent')).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('allows the burst, refuses beyond it and refills with time', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 2, now: () => now });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(true);
    const refused = limiter.take('a');
    expect(refused).toEqual({ allowed: false, retryAfterSec: 30 });
    expect(limiter.take('b').allowed).toBe(true);
    now += 30_000;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });
  it('remembers at most maxKeys keys', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 1, maxKeys: 2, now: () => now });
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    // 'a' was forgotten, so it starts with a full bucket again.
    expect(limiter.take('a').allowed).toBe(true);
    now += 0;
  });
});

describe('parseApiTokens', () => {
  it('reads name:scope:token lists and JSON lists', () => {
    const t = 'x'.repeat(16);
    expect(parseApiTokens(`ops:control:${t}, viewer:read:${t}y`)).toEqual({
      tokens: [
        { name: 'ops', scope: 'control', token: t },
        { name: 'viewer', scope: 'read', token: `${t}y` },
      ],
      issues: [],
    });
    expect(parseApiTokens(JSON.stringify([{ name: 'a', scope: 'read', token: t }])).tokens).toHaveLength(1);
  });
  it('reports bad scopes, short tokens and duplicate names', () => {
    const t = 'x'.repeat(16);
    const { issues } = parseApiTokens(`a:admin:${t},b:read:short,a:read:${t},a:control:${t}`);
    expect(issues.map((i) => i.variable)).toEqual(['API_TOKENS[0].scope', 'API_TOKENS[1].token', 'API_TOKENS[3]']);
  });
});
