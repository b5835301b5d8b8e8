import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AriEndpoint,
  AriHttpError,
  classifyAriStatus,
  reconnectDelayMs,
  redactSecrets,
  validateReconnectPolicy,
} from '../../../src/transports/ari/index.js';

describe('reconnect policy', () => {
  const policy = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 };

  it('grows exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => reconnectDelayMs(policy, a, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('stops after maxAttempts retries', () => {
    const limited = { ...policy, maxAttempts: 2 };
    expect(reconnectDelayMs(limited, 2, () => 0.5)).toBe(200);
    expect(reconnectDelayMs(limited, 3, () => 0.5)).toBeUndefined();
  });

  it('keeps jittered delays within ±jitter of the capped delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (initialMs, extra, factor, jitter, attempt, r) => {
          const p = { initialMs, maxMs: initialMs + extra, factor, jitter };
          const base = Math.min(p.maxMs, initialMs * factor ** (attempt - 1));
          const d = reconnectDelayMs(p, attempt, () => r);
          expect(d).toBeDefined();
          expect(d as number).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)) - 1);
          expect(d as number).toBeLessThanOrEqual(Math.ceil(base * (1 + jitter)) + 1);
        },
      ),
    );
  });

  it('rejects invalid policies naming the field', () => {
    expect(() => validateReconnectPolicy({ ...policy, jitter: 2 })).toThrow(/jitter/);
    expect(() => validateReconnectPolicy({ ...policy, maxMs: 10 })).toThrow(/maxMs/);
    expect(() => validateReconnectPolicy({ ...policy, factor: 0.5 })).toThrow(/factor/);
    expect(() => validateReconnectPolicy({ ...policy, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(validateReconnectPolicy(policy)).toBe(policy);
  });
});

describe('ARI status classification', () => {
  it('maps the statuses Asterisk 22 answers with to stable codes', () => {
    expect(classifyAriStatus(400)).toEqual({ code: 'ARI_BAD_REQUEST', category: 'invalid_request', retryable: false });
    expect(classifyAriStatus(401).code).toBe('ARI_UNAUTHORIZED');
    expect(classifyAriStatus(404)).toEqual({ code: 'ARI_NOT_FOUND', category: 'not_found', retryable: false });
    expect(classifyAriStatus(409).code).toBe('ARI_CONFLICT');
    expect(classifyAriStatus(422).code).toBe('ARI_UNPROCESSABLE');
    expect(classifyAriStatus(500)).toEqual({ code: 'ARI_SERVER_ERROR', category: 'server', retryable: false });
    for (const s of [502, 503, 504])
      expect(classifyAriStatus(s)).toMatchObject({ code: 'ARI_UNAVAILABLE', retryable: true });
    expect(classifyAriStatus(418).code).toBe('ARI_HTTP_ERROR');
  });

  it('builds errors that name method, path and Asterisk message', () => {
    const err = new AriHttpError({
      status: 422,
      method: 'POST',
      path: '/ari/bridges/b/addChannel',
      ariMessage: 'Channel not in Stasis application',
    });
    expect(err.message).toBe('ARI POST /ari/bridges/b/addChannel failed: 422 Channel not in Stasis application');
    expect(err.toJSON()).toMatchObject({ code: 'ARI_UNPROCESSABLE', category: 'conflict', retryable: false });
  });

  it('redacts secrets in plain, URL-encoded and base64 form', () => {
    const secret = 'p@ss:word';
    const text = `a ${secret} b ${encodeURIComponent(secret)} c ${Buffer.from(secret).toString('base64')}`;
    expect(redactSecrets(text, [secret])).toBe('a [redacted] b [redacted] c [redacted]');
  });
});

describe('AriEndpoint', () => {
  const creds = { username: 'u', password: 'p' };

  it('normalises the base URL to the /ari root', () => {
    expect(new AriEndpoint({ baseUrl: 'http://h:8088', ...creds }).root).toBe('http://h:8088/ari');
    expect(new AriEndpoint({ baseUrl: 'http://h:8088/', ...creds }).root).toBe('http://h:8088/ari');
    expect(new AriEndpoint({ baseUrl: 'https://h/asterisk/ari/', ...creds }).root).toBe('https://h/asterisk/ari');
  });

  it('derives ws and wss events URLs', () => {
    const q = new URLSearchParams({ app: 'a' });
    expect(new AriEndpoint({ baseUrl: 'http://h:8088', ...creds }).eventsUrl(q).toString()).toBe(
      'ws://h:8088/ari/events?app=a',
    );
    expect(new AriEndpoint({ baseUrl: 'https://h:8089', ...creds }).eventsUrl(q).toString()).toBe(
      'wss://h:8089/ari/events?app=a',
    );
  });

  it('refuses other schemes, credentials in the URL and an empty user', () => {
    expect(() => new AriEndpoint({ baseUrl: 'ftp://h', ...creds })).toThrow(/http or https/);
    expect(() => new AriEndpoint({ baseUrl: 'http://u:p@h', ...creds })).toThrow(/credentials/);
    expect(() => new AriEndpoint({ baseUrl: 'http://h', username: '', password: 'p' })).toThrow(/username/);
    expect(() => new AriEndpoint({ baseUrl: 'not a url', ...creds })).toThrow(/valid URL/);
  });

  it('builds the Basic header and hides the password from JSON', () => {
    const e = new AriEndpoint({ baseUrl: 'http://h', username: 'adapter', password: 'secret' });
    expect(e.authorizationHeader()).toBe(`Basic ${Buffer.from('adapter:secret').toString('base64')}`);
    expect(JSON.stringify(e)).not.toContain('secret');
  });
});
