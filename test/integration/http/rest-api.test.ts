import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../../src/db/calls-repository.js';
import { type ApiEnv, control, reader, startApiEnv } from './http-test-env.js';
import { until } from '../../support/wait.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
type Json = Record<string, any>;

describe('REST API (inject) over a running service with MySQL and Redis', () => {
  let env: ApiEnv;
  const inject = (opts: InjectOptions) => env.h.app.http!.fastify.inject(opts);

  beforeAll(async () => {
    env = await startApiEnv();
    env.h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', { ringMs: 20 });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  }, 60_000);

  async function originate(key?: string): Promise<{ status: number; body: Json; replayed: unknown }> {
    const res = await inject({
      method: 'POST',
      url: '/v1/calls',
      headers: { ...control, ...(key ? { 'idempotency-key': key } : {}) },
      payload: { endpoint: 'PJSIP/trunk', callerId: '+4930111', variables: { X_TEST: '1' }, timeoutSec: 10 },
    });
    return { status: res.statusCode, body: res.json(), replayed: res.headers['idempotent-replayed'] };
  }

  async function liveCall(): Promise<string> {
    const { status, body } = await originate();
    expect(status).toBe(201);
    const callId = body.callId as string;
    await until(
      async () => (env.h.app.registry.get(callId)?.state === 'active' ? true : undefined),
      20_000,
      'originated call active',
    );
    return callId;
  }

  it('health, openapi and metrics need no token', async () => {
    expect((await inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ ok: true });
    const doc = (await inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/calls',
        '/v1/calls/{id}',
        '/v1/calls/{id}/hangup',
        '/v1/calls/{id}/messages',
        '/v1/audiosocket-routes/{uuid}',
      ]),
    );
    expect(doc.paths['/v1/calls'].post.requestBody.content['application/json'].schema.required).toContain('endpoint');
    const metrics = await inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('ava_active_calls');
    expect(metrics.body).toContain('ava_nodejs_eventloop_lag_seconds');
  });

  it('readyz lists every check and is 200 while accepting', async () => {
    const res = await inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ready: true,
      checks: [
        { name: 'accepting', ok: true },
        { name: 'ari', ok: true },
        { name: 'mysql', ok: true },
        { name: 'redis', ok: true },
      ],
    });
  });

  it('refuses a missing token, an unknown token and a read token on a control route', async () => {
    const none = await inject({ method: 'GET', url: '/v1/calls' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'missing bearer token' } });
    const wrong = await inject({ method: 'GET', url: '/v1/calls', headers: { authorization: 'Bearer nope-nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('UNAUTHORIZED');
    const scope = await inject({ method: 'POST', url: '/v1/calls', headers: reader, payload: { endpoint: 'x' } });
    expect(scope.statusCode).toBe(403);
    expect(scope.json().error.code).toBe('FORBIDDEN');
    expect((await inject({ method: 'GET', url: '/v1/calls', headers: reader })).statusCode).toBe(200);
    const unknown = await inject({ method: 'GET', url: '/v1/nothing', headers: reader });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('NOT_FOUND');
    expect(none.headers['x-request-id']).toBeTruthy();
    const given = await inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'req-abc' } });
    expect(given.headers['x-request-id']).toBe('req-abc');
  });

  it('names the failing field of an invalid body or query', async () => {
    const missing = await inject({ method: 'POST', url: '/v1/calls', headers: control, payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: 'INVALID_REQUEST', field: 'body.endpoint' });
    const range = await inject({
      method: 'POST',
      url: '/v1/calls',
      headers: control,
      payload: { endpoint: 'PJSIP/trunk', timeoutSec: 0 },
    });
    expect(range.json().error.field).toBe('body.timeoutSec');
    const extra = await inject({
      method: 'POST',
      url: '/v1/calls',
      headers: control,
      payload: { endpoint: 'PJSIP/trunk', bogus: 1 },
    });
    expect(extra.statusCode).toBe(400);
    const query = await inject({ method: 'GET', url: '/v1/calls?state=sleeping', headers: reader });
    expect(query.statusCode).toBe(400);
    expect(query.json().error.field).toBe('query.state');
    const digits = await inject({
      method: 'POST',
      url: '/v1/calls/abc/dtmf',
      headers: control,
      payload: { digits: 'xyz' },
    });
    expect(digits.json().error.field).toBe('body.digits');
    const id = await inject({ method: 'POST', url: '/v1/calls/a%20b/hangup', headers: control });
    expect(id.json().error.field).toBe('params.id');
  });

  it('originate with an Idempotency-Key answers a repeat with the first response and places one call', async () => {
    const key = `k-${Date.now()}`;
    const first = await originate(key);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ callId: expect.any(String), channelId: expect.any(String) });
    const again = await originate(key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.replayed).toBe('true');
    const other = await originate(`${key}-2`);
    expect(other.body.callId).not.toBe(first.body.callId);
    const calls = new CallsRepository(env.tmp.db);
    await until(async () => ((await calls.get(first.body.callId)) ? true : undefined), 20_000, 'call row');
    const outbound = await calls.list({ direction: 'outbound', limit: 500 });
    expect(outbound.items.filter((c) => c.id === first.body.callId)).toHaveLength(1);
    for (const id of [first.body.callId, other.body.callId]) {
      await until(async () => (env.h.app.registry.get(id) ? true : undefined), 20_000, 'call live');
      await env.h.app.registry.get(id)?.close('shutdown');
    }
  });

  it('controls a live call: dtmf, play, record, messages (409 for an echo agent), transfer, hangup, then 410', async () => {
    const id = await liveCall();
    const post = (action: string, payload?: Json) =>
      inject({ method: 'POST', url: `/v1/calls/${id}/${action}`, headers: control, ...(payload ? { payload } : {}) });
    const dtmf = await post('dtmf', { digits: '12#' });
    expect([dtmf.statusCode, dtmf.json()]).toEqual([200, { sent: 3 }]);
    const play = await post('play', { media: ['sound:hello-world'] });
    expect(play.statusCode).toBe(200);
    expect(play.json()).toEqual({ playbackId: expect.any(String) });
    const rec = await post('record', { action: 'start', name: `rec-${id}` });
    expect(rec.json()).toEqual({ name: `rec-${id}`, status: 'recording' });
    const stop = await post('record', { action: 'stop', name: `rec-${id}` });
    expect(stop.json()).toEqual({ name: `rec-${id}`, status: 'stopped' });
    const msg = await post('messages', { text: 'hello' });
    expect(msg.statusCode).toBe(409);
    expect(msg.json().error.code).toBe('CONTROL_FAILED');
    const hangup = await post('hangup');
    expect([hangup.statusCode, hangup.json()]).toEqual([200, { ended: true }]);
    const calls = new CallsRepository(env.tmp.db);
    await until(async () => ((await calls.get(id))?.endedAt ? true : undefined), 20_000, 'call ended in MySQL');
    const again = await post('hangup', { reason: 'again' });
    expect(again.statusCode).toBe(410);
    expect(again.json().error.code).toBe('CALL_ENDED');
    const missing = await inject({ method: 'POST', url: '/v1/calls/no-such-call/hangup', headers: control });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('CALL_NOT_FOUND');

    const transferId = await liveCall();
    const transfer = await inject({
      method: 'POST',
      url: `/v1/calls/${transferId}/transfer`,
      headers: control,
      payload: { target: 'PJSIP/200' },
    });
    expect(transfer.statusCode).toBe(200);
    expect(transfer.json()).toEqual({ accepted: true });
  });

  it('gets a call with its events, transcript, tool calls and recordings', async () => {
    const id = await liveCall();
    await env.h.app.registry.get(id)?.close('shutdown');
    const calls = new CallsRepository(env.tmp.db);
    await until(async () => ((await calls.get(id))?.endedAt ? true : undefined), 20_000, 'call ended in MySQL');
    const res = await inject({ method: 'GET', url: `/v1/calls/${id}`, headers: reader });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.call).toMatchObject({ id, direction: 'outbound', closeReason: 'shutdown' });
    expect(body.events.map((e: Json) => e.type)).toEqual(expect.arrayContaining(['call.created', 'call.ended']));
    expect(body).toMatchObject({ transcript: [], toolCalls: [], recordings: [] });
    const missing = await inject({ method: 'GET', url: '/v1/calls/nope', headers: reader });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('CALL_NOT_FOUND');
  });

  it('pages through calls with a cursor and filters them', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await inject({
        method: 'GET',
        url: `/v1/calls?limit=2&direction=outbound${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        headers: reader,
      });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const c of page.items) expect(c.direction).toBe('outbound');
      all.push(...page.items.map((c: Json) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(new Set(all).size).toBe(all.length);
    const none = await inject({ method: 'GET', url: '/v1/calls?direction=inbound', headers: reader });
    expect(none.json()).toEqual({ items: [], nextCursor: null });
    const bad = await inject({ method: 'GET', url: '/v1/calls?cursor=garbage', headers: reader });
    expect(bad.statusCode).toBe(400);
    // Time range: everything so far was created before "now + 1 min", nothing after it.
    const later = new Date(Date.now() + 60_000).toISOString();
    const before = await inject({
      method: 'GET',
      url: `/v1/calls?direction=outbound&to=${encodeURIComponent(later)}&limit=500`,
      headers: reader,
    });
    expect(before.json().items.length).toBe(all.length);
    const after = await inject({ method: 'GET', url: `/v1/calls?from=${encodeURIComponent(later)}`, headers: reader });
    expect(after.json()).toEqual({ items: [], nextCursor: null });
    const badTime = await inject({ method: 'GET', url: '/v1/calls?from=yesterday', headers: reader });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json().error.field).toBe('query.from');
  });

  it('pre-registers a dialplan-direct UUID to a route', async () => {
    const uuid = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';
    const put = (body: Json, u = uuid) =>
      inject({ method: 'PUT', url: `/v1/audiosocket-routes/${u}`, headers: control, payload: body });
    const ok = await put({ route: 'default', ttlSec: 30 });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ uuid, route: 'default', ttlSec: 30 });
    expect(env.h.app.directUuids.size).toBe(1);
    const dup = await put({ route: 'default' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('AUDIOSOCKET_UUID_IN_USE');
    const unknown = await put({ route: 'nope' }, '00000000-0000-4000-8000-000000000001');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.field).toBe('body.route');
    const bad = await put({ route: 'default' }, 'not-a-uuid');
    expect(bad.json().error.field).toBe('params.uuid');
    const read = await inject({
      method: 'PUT',
      url: `/v1/audiosocket-routes/${uuid}`,
      headers: reader,
      payload: { route: 'default' },
    });
    expect(read.statusCode).toBe(403);
  });
});
