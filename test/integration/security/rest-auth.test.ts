import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKENS, CONTROL_TOKEN, control, READ_TOKEN, type ApiEnv, startApiEnv } from '../http/http-test-env.js';

type Op = { method: string; path: string };

describe('REST API: every /v1 endpoint refuses bad credentials, and hostile bodies get 4xx', () => {
  let env: ApiEnv;
  let base: string;
  let ops: Op[];

  beforeAll(async () => {
    env = await startApiEnv({ API_TOKENS });
    const address = env.h.app.http?.address;
    if (!address) throw new Error('HTTP server did not bind');
    base = `http://127.0.0.1:${address.port}`;
    const spec = (await (await fetch(`${base}/v1/openapi.json`, { headers: control })).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    ops = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase(), path: path.replace(/\{[^}]+\}/g, randomUUID()) })),
    );
  });
  afterAll(async () => {
    await env?.close();
  });

  it('lists its endpoints', () => {
    expect(ops.filter((o) => o.path.startsWith('/v1/')).length).toBeGreaterThan(3);
  });

  const BAD_AUTH: Record<string, Record<string, string>> = {
    none: {},
    'wrong token': { authorization: 'Bearer not-a-token-0123456789' },
    'token without Bearer': { authorization: CONTROL_TOKEN },
    'Basic scheme': { authorization: `Basic ${Buffer.from(`x:${CONTROL_TOKEN}`).toString('base64')}` },
    'token with a suffix': { authorization: `Bearer ${CONTROL_TOKEN}x` },
    'token prefix': { authorization: `Bearer ${CONTROL_TOKEN.slice(0, -1)}` },
    'in the query string': {},
  };

  it('answers 401 to every /v1 endpoint without a valid bearer token', async () => {
    const failures: string[] = [];
    for (const op of ops.filter((o) => o.path.startsWith('/v1/') && o.path !== '/v1/openapi.json')) {
      for (const [name, headers] of Object.entries(BAD_AUTH)) {
        const url =
          name === 'in the query string' ? `${base}${op.path}?access_token=${CONTROL_TOKEN}` : `${base}${op.path}`;
        const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
        const res = await fetch(url, {
          method: op.method,
          headers: { ...headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
          ...(hasBody ? { body: '{}' } : {}),
        });
        await res.arrayBuffer();
        if (res.status !== 401) failures.push(`${op.method} ${op.path} with ${name}: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('a read token cannot use control endpoints (403)', async () => {
    const failures: string[] = [];
    for (const op of ops.filter((o) => o.path.startsWith('/v1/') && o.method !== 'GET')) {
      const res = await fetch(`${base}${op.path}`, {
        method: op.method,
        headers: { authorization: `Bearer ${READ_TOKEN}`, 'content-type': 'application/json' },
        ...(op.method === 'DELETE' ? {} : { body: '{}' }),
      });
      await res.arrayBuffer();
      if (res.status !== 403) failures.push(`${op.method} ${op.path}: ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('hostile JSON bodies and query strings get a 4xx with an error body, never a 5xx (300 cases)', async () => {
    const writes = ops.filter((o) => o.path.startsWith('/v1/') && o.method !== 'GET' && o.method !== 'DELETE');
    const reads = ops.filter((o) => o.path.startsWith('/v1/') && o.method === 'GET');
    expect(writes.length).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify({ endpoint: v, route: v })),
        ),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
        async (pick, body, query) => {
          const op = writes[pick % writes.length]!;
          const res = await fetch(`${base}${op.path}`, {
            method: op.method,
            headers: { ...control, 'content-type': 'application/json' },
            body,
          });
          const text = await res.text();
          // 2xx is allowed (a body that happens to be valid); a refusal is a 4xx with a JSON error; never 5xx
          // except 503 when a dependency is away, which this environment does not cause.
          expect(res.status, `${op.method} ${op.path} ${body.slice(0, 100)}: ${text.slice(0, 200)}`).toBeLessThan(500);
          if (res.status >= 400) expect(JSON.parse(text)).toHaveProperty('error.code');
          const read = reads[pick % reads.length]!;
          const qs = new URLSearchParams(query).toString();
          const r = await fetch(`${base}${read.path}${qs ? `?${qs}` : ''}`, { headers: control });
          await r.arrayBuffer();
          expect(r.status, `GET ${read.path}?${qs}`).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    // The service is still up and still answers.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  }, 120_000);
});
