import { describe, expect, it } from 'vitest';
import { delayFor, shouldRetry, validateRetryPolicy } from '../../../src/lib/retry-policy.js';
import {
  AriEndpoint,
  AriHttpError,
  classifyAriStatus,
  DEFAULT_ARI_RECONNECT_POLICY,
  redactSecrets,
} from '../../../src/transports/ari/index.js';

describe('ARI reconnect policy', () => {
  it('is the shared retry policy: unlimited attempts, backing off from 0.5 s to 15 s', () => {
    expect(validateRetryPolicy(DEFAULT_ARI_RECONNECT_POLICY)).toBe(DEFAULT_ARI_RECONNECT_POLICY);
    expect(shouldRetry(DEFAULT_ARI_RECONNECT_POLICY, 10_000)).toBe(true);
    expect(delayFor(DEFAULT_ARI_RECONNECT_POLICY, 1, () => 0.5)).toBe(500);
    expect(delayFor(DEFAULT_ARI_RECONNECT_POLICY, 50, () => 0.999_999)).toBe(15_000);
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
