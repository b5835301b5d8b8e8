import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { startTestApp } from '../../support/app-harness.js';
import { API_TOKENS, control, reader } from './http-test-env.js';

/** The JSON error body every failing request answers with. */
type ErrorBody = { error: { code: string; message: string; field?: string } };

describe('HTTP server without the job layer, over a real port', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop(1000);
    app = undefined;
  });

  async function start(env: Record<string, string> = {}): Promise<string> {
    const started = await startTestApp({
      HTTP_ENABLED: 'true',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      API_TOKENS,
      ...env,
    });
    app = started.app;
    const address = app.http?.address;
    if (!address) throw new Error('HTTP server did not bind');
    return `http://127.0.0.1:${address.port}`;
  }

  it('answers health, readiness and 503 JOB_LAYER_DISABLED for call endpoints', async () => {
    const base = await start();
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { ok: true }]);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: [{ name: 'accepting', ok: true }] });
    const list = await fetch(`${base}/v1/calls`, { headers: reader });
    expect(list.status).toBe(503);
    expect(await list.json()).toMatchObject({ error: { code: 'JOB_LAYER_DISABLED' } });
    const originate = await fetch(`${base}/v1/calls`, {
      method: 'POST',
      headers: { ...control, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'PJSIP/trunk' }),
    });
    expect(originate.status).toBe(503);
    expect(((await originate.json()) as ErrorBody).error.code).toBe('JOB_LAYER_DISABLED');
    const hangup = await fetch(`${base}/v1/calls/abc/hangup`, { method: 'POST', headers: control });
    expect(hangup.status).toBe(503);
    const unauth = await fetch(`${base}/v1/calls`);
    expect(unauth.status).toBe(401);
    expect(await unauth.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'missing bearer token' } });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
  });

  it('readiness turns 503 as soon as stop() begins', async () => {
    const base = await start();
    const stopping = app!.stop(1000);
    const ready = await app!.http!.fastify.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks[0]).toMatchObject({ name: 'accepting', ok: false });
    await stopping;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    app = undefined;
  });

  it('limits each token to RATE_LIMIT_PER_MINUTE requests, separately', async () => {
    const base = await start({ RATE_LIMIT_PER_MINUTE: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${base}/v1/calls`, { headers: reader })).status);
    expect(statuses).toEqual([503, 503, 503, 429]);
    const limited = await fetch(`${base}/v1/calls`, { headers: reader });
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await limited.json()) as ErrorBody).error.code).toBe('RATE_LIMITED');
    expect((await fetch(`${base}/v1/calls`, { headers: control })).status).toBe(503);
  });

  it('refuses bodies over BODY_LIMIT_BYTES with 413 and malformed JSON with 400', async () => {
    const base = await start({ BODY_LIMIT_BYTES: '1024' });
    const big = await fetch(`${base}/v1/calls`, {
      method: 'POST',
      headers: { ...control, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'x'.repeat(4000) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as ErrorBody).error.code).toBe('BODY_TOO_LARGE');
    const bad = await fetch(`${base}/v1/calls`, {
      method: 'POST',
      headers: { ...control, 'content-type': 'application/json' },
      body: '{"endpoint":',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.code).toBe('INVALID_REQUEST');
  });

  it('refuses every /v1 request when no tokens are configured', async () => {
    const base = await start({ API_TOKENS: '' });
    const res = await fetch(`${base}/v1/calls`, { headers: control });
    expect(res.status).toBe(401);
  });
});
