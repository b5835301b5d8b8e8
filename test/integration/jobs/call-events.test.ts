import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallEventsRepository } from '../../../src/db/call-events-repository.js';
import { CallsRepository } from '../../../src/db/calls-repository.js';
import { WebhookDeliveriesRepository } from '../../../src/db/webhook-deliveries-repository.js';
import { createJobLayer, type JobLayer } from '../../../src/jobs/job-layer.js';
import { staticWebhookResolver } from '../../../src/jobs/webhook-endpoints.js';
import { FakeCallController } from '../../fakes/jobs-fake-controller.js';
import { HttpReceiver } from '../../fakes/jobs-http-receiver.js';
import { RecordingToolResultSink } from '../../fakes/jobs-result-sink.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { cleanRedis, FAST_TUNING, REDIS_URL, randomPrefix, testLogger } from './job-test-env.js';
import { eventually } from '../../support/wait.js';

const SECRET = 'whsec_test_0123456789abcdef';
let t: TempDatabase;
/** Failed webhook attempts the layer reported (true: the delivery gave up). */
const attemptsFailed: boolean[] = [];
let layer: JobLayer;
let healthy: HttpReceiver;
let down: HttpReceiver;
let flaky: HttpReceiver;
const prefix = randomPrefix();

beforeAll(async () => {
  t = await createTempDatabase();
  healthy = await HttpReceiver.start(SECRET, () => ({ status: 204 }));
  down = await HttpReceiver.start(SECRET, () => ({ status: 503, body: { error: 'maintenance' } }));
  flaky = await HttpReceiver.start(SECRET, (_req, hit) => (hit % 3 === 0 ? { status: 200 } : { status: 500 }));
  layer = await createJobLayer({
    redis: REDIS_URL,
    prefix,
    instanceId: 'events-a',
    db: t.db,
    controller: new FakeCallController('events-a'),
    toolResultSink: new RecordingToolResultSink('a'),
    logger: testLogger(),
    tuning: FAST_TUNING,
    onWebhookAttemptFailed: (final) => attemptsFailed.push(final),
    webhooks: staticWebhookResolver({
      all: [{ url: flaky.url('/ended'), secret: SECRET, events: ['call.ended'] }],
      byRoute: {
        sales: [
          { url: healthy.url('/sales'), secret: SECRET },
          { url: down.url('/sales'), secret: SECRET, timeoutMs: 1000 },
        ],
      },
    }),
  });
  await layer.ready();
});

afterAll(async () => {
  await layer?.close();
  await Promise.all([healthy?.close(), down?.close(), flaky?.close()]);
  await cleanRedis(REDIS_URL, prefix);
  await t?.drop();
});

function emitCall(callId: string, route: string, digits: string): void {
  const sink = layer.eventSink;
  sink.emit(callId, 'call.created', { direction: 'inbound', from: '+15550001', to: '100', route, agentKind: 'echo' });
  sink.emit(callId, 'call.answered', {});
  sink.emit(callId, 'call.media_connected', { mediaChannelId: `media-${callId}`, bridgeId: `br-${callId}` });
  for (const digit of digits) sink.emit(callId, 'call.dtmf', { digit });
  sink.emit(callId, 'call.ended', {
    hangupCause: 16,
    hangupCauseTxt: 'Normal Clearing',
    initiator: 'caller',
    closeReason: 'caller_hangup',
    latency: { firstAudioMs: 321 },
  });
}

describe('call events', () => {
  it('stores each call in emission order, projects the call row, and delivers signed webhooks', async () => {
    const callId = randomUUID();
    emitCall(callId, 'sales', '123');
    const events = new CallEventsRepository(t.db);
    const stored = await eventually(
      async () => {
        const rows = await events.listByCall(callId);
        return rows.length === 7 ? rows : undefined;
      },
      20_000,
      'seven stored events',
    );
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(stored.map((e) => e.type)).toEqual([
      'call.created',
      'call.answered',
      'call.media_connected',
      'call.dtmf',
      'call.dtmf',
      'call.dtmf',
      'call.ended',
    ]);
    expect(stored.slice(3, 6).map((e) => (e.payload as { digit: string }).digit)).toEqual(['1', '2', '3']);

    const call = await new CallsRepository(t.db).get(callId);
    expect(call).toMatchObject({
      state: 'ended',
      direction: 'inbound',
      route: 'sales',
      fromNumber: '+15550001',
      mediaChannelId: `media-${callId}`,
      hangupCause: 16,
      hangupInitiator: 'caller',
      closeReason: 'caller_hangup',
      latency: { firstAudioMs: 321 },
    });
    expect(call?.answeredAt).toBeInstanceOf(Date);

    await healthy.waitFor(
      (reqs) => reqs.filter((r) => (r.json as { callId?: string })?.callId === callId).length === 7,
    );
    const mine = healthy.requests.filter((r) => (r.json as { callId?: string })?.callId === callId);
    for (const r of mine) {
      expect(r.signature).toMatchObject({ valid: true });
      const body = r.json as { id: string; seq: number; type: string };
      expect(r.headers['x-ava-event-id']).toBe(body.id);
      expect(r.headers['x-ava-timestamp']).toMatch(/^\d+$/);
      expect(stored.find((e) => e.seq === body.seq)?.eventId).toBe(body.id);
    }

    // The endpoint that stays down gets every attempt and ends failed; the others are unaffected.
    const deliveries = new WebhookDeliveriesRepository(t.db);
    const settled = await eventually(
      async () => {
        const all = await deliveries.listByCall(callId);
        return all.length === 15 && all.every((d) => d.status !== 'pending') ? all : undefined;
      },
      20_000,
      'all deliveries settled',
    );
    const byUrl = (url: string) => settled.filter((d) => d.endpointUrl === url);
    expect(byUrl(healthy.url('/sales')).every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
    const failed = byUrl(down.url('/sales'));
    expect(failed.length).toBe(7);
    expect(failed.every((d) => d.status === 'failed' && d.attempts === 4 && d.lastStatusCode === 503)).toBe(true);
    expect(failed[0]?.lastError).toContain('HTTP 503');
    // Every failed attempt was reported for metrics, the last one of each failed delivery as final.
    await eventually(
      async () => (attemptsFailed.filter((f) => f).length >= 7 ? true : undefined),
      20_000,
      'final failures reported',
    );
    expect(attemptsFailed.length).toBeGreaterThanOrEqual(7 * 4);
    const ended = byUrl(flaky.url('/ended'));
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200 });
  });

  it('keeps every call in order when many calls emit at once', async () => {
    const callIds = Array.from({ length: 20 }, () => randomUUID());
    for (let i = 0; i < 8; i++) {
      for (const callId of callIds) {
        if (i === 0) layer.eventSink.emit(callId, 'call.created', { direction: 'outbound', route: 'bulk' });
        else layer.eventSink.emit(callId, 'call.transcript', { role: 'caller', text: `line ${i}` });
      }
    }
    expect(await layer.eventSink.flush(20_000)).toBe(true);
    const events = new CallEventsRepository(t.db);
    for (const callId of callIds) {
      const rows = await eventually(
        async () => {
          const r = await events.listByCall(callId);
          return r.length === 8 ? r : undefined;
        },
        20_000,
        `events of ${callId}`,
      );
      expect(rows.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(rows.slice(1).map((e) => (e.payload as { text: string }).text)).toEqual(
        [1, 2, 3, 4, 5, 6, 7].map((i) => `line ${i}`),
      );
      // Row ids grow with seq: rows went in in order, not only numbered in order.
      expect(rows.map((e) => e.rowId)).toEqual([...rows.map((e) => e.rowId)].sort((a, b) => a - b));
    }
    expect(layer.eventSink.stats().dropped).toBe(0);
  });
});
