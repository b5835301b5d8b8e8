import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallEventsRepository } from '../../../src/db/call-events-repository.js';
import { CallsRepository } from '../../../src/db/calls-repository.js';
import { RecordingsRepository } from '../../../src/db/recordings-repository.js';
import { ToolCallsRepository } from '../../../src/db/tool-calls-repository.js';
import { TranscriptsRepository } from '../../../src/db/transcripts-repository.js';
import { WebhookDeliveriesRepository } from '../../../src/db/webhook-deliveries-repository.js';
import { createTempDatabase, type TempDatabase } from './temp-database.js';

let t: TempDatabase;

beforeAll(async () => {
  t = await createTempDatabase();
});

afterAll(async () => {
  await t?.drop();
});

describe('CallsRepository', () => {
  it('creates once, updates live calls, ends once, and keeps JSON and dates', async () => {
    const calls = new CallsRepository(t.db);
    const id = randomUUID();
    const created = new Date('2026-01-02T03:04:05.678Z');
    expect(
      await calls.create({ id, direction: 'inbound', fromNumber: '+15550001', route: 'sales', createdAt: created }),
    ).toBe(true);
    expect(await calls.create({ id, direction: 'outbound' })).toBe(false);
    expect(await calls.update(id, { state: 'answered', answeredAt: new Date(created.getTime() + 1500) })).toBe(true);
    const latency = { firstAudioMs: 412, nested: { text: 'héllo 🎧' } };
    expect(
      await calls.markEnded(id, {
        endedAt: new Date(created.getTime() + 60_000),
        hangupCause: 16,
        hangupCauseTxt: 'Normal Clearing',
        hangupInitiator: 'caller',
        closeReason: 'caller_hangup',
        latency,
      }),
    ).toBe(true);
    expect(await calls.markEnded(id, { endedAt: new Date(), closeReason: 'second' })).toBe(false);
    expect(await calls.update(id, { state: 'active' })).toBe(false);
    const row = await calls.get(id);
    expect(row).toMatchObject({
      id,
      direction: 'inbound',
      state: 'ended',
      fromNumber: '+15550001',
      route: 'sales',
      hangupCause: 16,
      hangupInitiator: 'caller',
      closeReason: 'caller_hangup',
      latency,
    });
    expect(row?.createdAt.toISOString()).toBe(created.toISOString());
    expect(row?.answeredAt?.getTime()).toBe(created.getTime() + 1500);
    expect(await calls.get(randomUUID())).toBeUndefined();
  });

  it('counts the given calls that have not ended (unknown ids and ended calls do not count)', async () => {
    const calls = new CallsRepository(t.db);
    const [open1, open2, ended] = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of [open1, open2, ended]) await calls.create({ id, direction: 'inbound' });
    await calls.markEnded(ended, { endedAt: new Date() });
    expect(await calls.countOpen([open1, open2, ended, randomUUID()])).toBe(2);
    expect(await calls.countOpen([ended])).toBe(0);
    expect(await calls.countOpen([])).toBe(0);
  });

  it('lists newest first with filters and a cursor that walks every row exactly once', async () => {
    const calls = new CallsRepository(t.db);
    const route = `r-${randomUUID().slice(0, 8)}`;
    const base = Date.parse('2026-03-01T00:00:00.000Z');
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      const id = randomUUID();
      ids.push(id);
      // Pairs share a timestamp so the id tie-break matters.
      await calls.create({
        id,
        direction: i % 3 === 0 ? 'outbound' : 'inbound',
        route,
        state: i % 2 === 0 ? 'ended' : 'active',
        createdAt: new Date(base + Math.floor(i / 2) * 1000),
      });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await calls.list({ route, limit: 5, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(23);
    expect([...seen].sort()).toEqual([...ids].sort());
    const all = await calls.list({ route, limit: 100 });
    const keys = all.items.map((c) => [c.createdAt.getTime(), c.id] as const);
    const sorted = [...keys].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1));
    expect(keys).toEqual(sorted);

    const outbound = await calls.list({ route, direction: 'outbound', limit: 100 });
    expect(outbound.items.length).toBe(8);
    expect(outbound.items.every((c) => c.direction === 'outbound')).toBe(true);
    const active = await calls.list({ route, state: 'active', limit: 100 });
    expect(active.items.length).toBe(11);
    await expect(calls.list({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
  });
});

describe('CallEventsRepository', () => {
  it('stores an event once by id, keeps per-call order, and appends after a seq collision', async () => {
    const events = new CallEventsRepository(t.db);
    const callId = randomUUID();
    const at = new Date();
    const first = {
      eventId: randomUUID(),
      callId,
      seq: 1,
      type: 'call.created',
      payload: { a: 'ü🎧' },
      occurredAt: at,
    };
    const a = await events.insert(first);
    expect(a.inserted).toBe(true);
    const again = await events.insert(first);
    expect(again).toEqual({ rowId: a.rowId, seq: 1, inserted: false });
    await events.insert({ ...first, eventId: randomUUID(), seq: 2, type: 'call.answered', payload: {} });
    // A different event claiming seq 2 (counter lost) lands after the last one instead of vanishing.
    const c = await events.insert({
      ...first,
      eventId: randomUUID(),
      seq: 2,
      type: 'call.dtmf',
      payload: { digit: '5' },
    });
    expect(c).toMatchObject({ seq: 3, inserted: true });
    const list = await events.listByCall(callId);
    expect(list.map((e) => [e.seq, e.type])).toEqual([
      [1, 'call.created'],
      [2, 'call.answered'],
      [3, 'call.dtmf'],
    ]);
    expect(list[0]?.payload).toEqual({ a: 'ü🎧' });
    expect(await events.lastSeq(callId)).toBe(3);
    expect((await events.listByCall(callId, { afterSeq: 1, limit: 1 })).map((e) => e.seq)).toEqual([2]);
  });
});

describe('TranscriptsRepository', () => {
  it('numbers concurrent appends 1..n without gaps and marks truncated items', async () => {
    const transcripts = new TranscriptsRepository(t.db);
    const callId = randomUUID();
    const seqs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        transcripts.append({ callId, role: i % 2 ? 'agent' : 'caller', text: `line ${i}`, itemId: `item-${i}` }),
      ),
    );
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await transcripts.markTruncated(callId, 'item-3', { endedAtMs: 1234, text: 'line' })).toBe(1);
    const lines = await transcripts.listByCall(callId);
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const cut = lines.find((l) => l.itemId === 'item-3');
    expect(cut).toMatchObject({ truncated: true, endedAtMs: 1234, text: 'line' });
    expect(lines.filter((l) => l.truncated).length).toBe(1);
    expect(await transcripts.count(callId)).toBe(12);
  });
});

describe('ToolCallsRepository', () => {
  it('is an idempotency record: created once, claimed once, finished only by its run', async () => {
    const repo = new ToolCallsRepository(t.db);
    const callId = randomUUID();
    const first = await repo.createIfAbsent({ callId, toolCallId: 'tc-1', name: 'lookup', arguments: { q: 'x' } });
    expect(first.created).toBe(true);
    const dup = await repo.createIfAbsent({ callId, toolCallId: 'tc-1', name: 'lookup', arguments: { q: 'y' } });
    expect(dup.created).toBe(false);
    expect(dup.record.arguments).toEqual({ q: 'x' });

    expect(await repo.claim(callId, 'tc-1', 'run-a')).toBe(true);
    expect(await repo.claim(callId, 'tc-1', 'run-b')).toBe(false);
    await repo.countAttempt(callId, 'tc-1', 'run-a');
    await repo.countAttempt(callId, 'tc-1', 'run-b'); // not the holder: not counted
    expect(await repo.finish(callId, 'tc-1', 'run-b', { status: 'succeeded', result: 1 })).toBe(false);
    expect(await repo.claim(callId, 'tc-1', 'run-c', { takeOver: true })).toBe(true);
    expect(await repo.finish(callId, 'tc-1', 'run-a', { status: 'succeeded', result: 1 })).toBe(false);
    expect(await repo.finish(callId, 'tc-1', 'run-c', { status: 'succeeded', result: { answer: 42 } })).toBe(true);
    expect(await repo.claim(callId, 'tc-1', 'run-d', { takeOver: true })).toBe(false);
    await repo.markDelivery(callId, 'tc-1', 'call_ended');
    const rec = await repo.get(callId, 'tc-1');
    expect(rec).toMatchObject({
      status: 'succeeded',
      result: { answer: 42 },
      attempts: 3, // claim run-a, a retry of run-a, take-over by run-c
      runToken: 'run-c',
      resultDelivery: 'call_ended',
    });
    expect(rec?.finishedAt).toBeInstanceOf(Date);
    expect((await repo.listByCall(callId)).length).toBe(1);

    const direct = await repo.createIfAbsent({ callId, toolCallId: 'tc-2', name: 'lookup', arguments: {} }, 'run-x');
    expect(direct.record).toMatchObject({ status: 'running', runToken: 'run-x', attempts: 1 });
    expect(await repo.get(callId, 'tc-2')).toMatchObject({ status: 'running', runToken: 'run-x', attempts: 1 });
    expect(await repo.claim(callId, 'tc-2', 'run-y')).toBe(false);
  });
});

describe('RecordingsRepository and WebhookDeliveriesRepository', () => {
  it('record a recording life cycle and delivery attempts', async () => {
    const recordings = new RecordingsRepository(t.db);
    const callId = randomUUID();
    const name = `rec-${randomUUID()}`;
    expect(await recordings.start({ callId, name, format: 'wav' })).toBe(true);
    expect(await recordings.start({ callId, name, format: 'wav' })).toBe(false);
    expect(await recordings.finish(name, { status: 'done', endedAt: new Date(), durationMs: 4200 })).toBe(true);
    expect(await recordings.finish(name, { status: 'failed', endedAt: new Date() })).toBe(false);
    expect(await recordings.getByName(name)).toMatchObject({ status: 'done', durationMs: 4200, format: 'wav' });
    expect((await recordings.listByCall(callId)).length).toBe(1);

    const deliveries = new WebhookDeliveriesRepository(t.db);
    const d = await deliveries.createIfAbsent({
      eventRowId: 77,
      callId,
      endpointUrl: 'http://x/',
      endpointKey: 'k'.repeat(64),
    });
    const same = await deliveries.createIfAbsent({
      eventRowId: 77,
      callId,
      endpointUrl: 'http://x/',
      endpointKey: 'k'.repeat(64),
    });
    expect(same.id).toBe(d.id);
    await deliveries.recordAttempt(d.id, { ok: false, statusCode: 503, error: 'HTTP 503', final: false });
    expect(await deliveries.get(d.id)).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 503 });
    await deliveries.recordAttempt(d.id, { ok: true, statusCode: 204 });
    await deliveries.recordAttempt(d.id, { ok: false, statusCode: 500, error: 'late', final: true });
    const done = await deliveries.get(d.id);
    expect(done).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 204, lastError: null });
    expect(done?.deliveredAt).toBeInstanceOf(Date);
  });
});
