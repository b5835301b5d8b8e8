import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolCallsRepository } from '../../../src/db/tool-calls-repository.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { createJobLayer, type JobLayer } from '../../../src/jobs/job-layer.js';
import { QUEUES, toolCallJobId } from '../../../src/jobs/queues.js';
import { ToolCallClaims } from '../../../src/jobs/tool-call-claims.js';
import type { ToolRunPhases } from '../../../src/jobs/tool-call-worker.js';
import { FakeCallController } from '../../fakes/jobs-fake-controller.js';
import { HttpReceiver } from '../../fakes/jobs-http-receiver.js';
import { RecordingToolResultSink } from '../../fakes/jobs-result-sink.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { cleanRedis, FAST_TUNING, REDIS_URL, randomPrefix, testLogger } from './job-test-env.js';
import { eventually } from '../../support/wait.js';

const SECRET = 'tool_secret_0123456789abcdef';
const instanceId = 'tools-a';
let t: TempDatabase;
let layer: JobLayer;
let tools: HttpReceiver;
let sink: RecordingToolResultSink;
let controller: FakeCallController;
let repo: ToolCallsRepository;
let redis: Redis;
let claims: ToolCallClaims;
const prefix = randomPrefix();
const releases: Array<() => void> = [];
const runs: ToolRunPhases[] = [];

/** Per-path behaviour of the fake tool server. */
const behaviour: Record<
  string,
  (hit: number) => { status: number; body?: unknown; headers?: Record<string, string> } | 'hang'
> = {
  '/weather': () => ({ status: 200, body: { tempC: 21 } }),
  '/flaky': (hit) => (hit <= 2 ? { status: 503 } : { status: 200, body: { ok: hit } }),
  '/limited': (hit) => (hit === 1 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200, body: 'fine' }),
  '/bad': () => ({ status: 400, body: { error: 'missing city' } }),
  '/slow': () => 'hang',
};

beforeAll(async () => {
  t = await createTempDatabase();
  repo = new ToolCallsRepository(t.db);
  redis = new Redis(REDIS_URL);
  claims = new ToolCallClaims(redis, { prefix });
  tools = await HttpReceiver.start(SECRET, (req, hit) => {
    if (req.path === '/gate') {
      return new Promise((resolve) => releases.push(() => resolve({ status: 200, body: { late: true } })));
    }
    return behaviour[req.path]?.(hit) ?? { status: 404 };
  });
  sink = new RecordingToolResultSink(instanceId);
  controller = new FakeCallController(instanceId);
  const http = (name: string, path: string, extra: Record<string, unknown> = {}) => ({
    name,
    url: tools.url(path),
    secret: SECRET,
    retry: { initialDelayMs: 20, maxDelayMs: 100, multiplier: 1, jitter: 0, maxAttempts: 3 },
    ...extra,
  });
  layer = await createJobLayer({
    redis: REDIS_URL,
    prefix,
    instanceId,
    db: t.db,
    controller,
    toolResultSink: sink,
    logger: testLogger(),
    tuning: FAST_TUNING,
    onToolRun: (p) => runs.push(p),
    tools: [
      http('get_weather', '/weather'),
      http('flaky', '/flaky'),
      http('limited', '/limited'),
      http('bad', '/bad'),
      http('slow', '/slow', {
        timeoutMs: 300,
        retry: { initialDelayMs: 10, maxDelayMs: 10, multiplier: 1, jitter: 0, maxAttempts: 2 },
      }),
      http('gate', '/gate', { timeoutMs: 20_000 }),
      http('charge', '/weather'),
      http('lookup', '/weather', { idempotent: true }),
    ],
  });
  await layer.ready();
});

afterAll(async () => {
  for (const r of releases) r();
  await layer?.close();
  await tools?.close();
  redis?.disconnect();
  await cleanRedis(REDIS_URL, prefix);
  await t?.drop();
});

async function liveCall(): Promise<string> {
  const callId = randomUUID();
  sink.live.add(callId);
  controller.live.add(callId);
  await layer.ownership.claim(callId);
  return callId;
}

describe('tool calls', () => {
  it('runs an HTTP tool once, signed, and hands the JSON answer to the call', async () => {
    const callId = await liveCall();
    await layer.toolCalls.submit({ callId, toolCallId: 'call_w1', name: 'get_weather', arguments: { city: 'Oslo' } });
    const result = await sink.waitFor('call_w1');
    expect(result).toEqual({
      callId,
      toolCallId: 'call_w1',
      name: 'get_weather',
      status: 'succeeded',
      output: { tempC: 21 },
    });
    const req = tools.requests.find((r) => (r.json as { toolCallId?: string }).toolCallId === 'call_w1');
    expect(req?.signature.valid).toBe(true);
    expect(req?.headers['x-ava-idempotency-key']).toBe(`${callId}:call_w1`);
    expect(req?.json).toMatchObject({ callId, name: 'get_weather', arguments: { city: 'Oslo' } });
    const row = await eventually(
      async () => {
        const r = await repo.get(callId, 'call_w1');
        return r?.resultDelivery === 'delivered' ? r : undefined;
      },
      20_000,
      'delivery recorded',
    );
    expect(row).toMatchObject({ status: 'succeeded', result: { tempC: 21 }, attempts: 1, requestedBy: instanceId });
    // Where its time went is reported once, every phase measured. The report follows the worker's own reading of
    // the delivery write, which may come after this test's read of the committed row.
    await eventually(() => runs.length > 0, 20_000, 'run reported');
    expect(runs).toHaveLength(1);
    const phases = runs[0]!;
    for (const v of Object.values(phases)) expect(v).toBeGreaterThanOrEqual(0);
    expect(phases.toolMs).toBeGreaterThan(0);
    expect(Object.keys(phases).sort()).toEqual(['claimMs', 'finishMs', 'handOverMs', 'queuedMs', 'toolMs']);
    expect(phases.finishMs).toBeGreaterThanOrEqual(phases.handOverMs!);
  });

  it("leaves no Redis claim behind once the first run's row exists", async () => {
    const callId = await liveCall();
    await layer.toolCalls.submit({ callId, toolCallId: 'claim_1', name: 'get_weather', arguments: {} });
    await sink.waitFor('claim_1');
    await eventually(
      async () => (await repo.get(callId, 'claim_1'))?.resultDelivery === 'delivered',
      20_000,
      'recorded',
    );
    expect(await claims.holder(callId, 'claim_1')).toBeNull();
  });

  it('does not repeat a non-idempotent tool whose earlier run claimed it but never wrote its row', async () => {
    const callId = await liveCall();
    const hits = () =>
      tools.requests.filter((r) => String(r.headers['x-ava-idempotency-key']).startsWith(callId)).length;
    // What a run leaves when it dies after taking its claim and before its row was written (MySQL unreachable).
    expect(await claims.claim(callId, 'charge_1', 'dead-run')).toBe(true);
    expect(await claims.claim(callId, 'lookup_1', 'dead-run')).toBe(true);
    await layer.toolCalls.submit({ callId, toolCallId: 'charge_1', name: 'charge', arguments: {} });
    await layer.toolCalls.submit({ callId, toolCallId: 'lookup_1', name: 'lookup', arguments: {} });
    expect(await sink.waitFor('charge_1')).toMatchObject({ status: 'failed', error: { code: 'TOOL_INTERRUPTED' } });
    // An idempotent tool is simply called again.
    expect(await sink.waitFor('lookup_1')).toMatchObject({ status: 'succeeded', output: { tempC: 21 } });
    expect(hits()).toBe(1);
    expect(await repo.get(callId, 'charge_1')).toMatchObject({ status: 'failed', errorCode: 'TOOL_INTERRUPTED' });
    expect(await repo.get(callId, 'lookup_1')).toMatchObject({ status: 'succeeded', result: { tempC: 21 } });
  });

  it('records, and does not re-run, the outcome an earlier run left on the job before its row was written', async () => {
    const callId = await liveCall();
    const hits = () =>
      tools.requests.filter((r) => String(r.headers['x-ava-idempotency-key']).startsWith(callId)).length;
    expect(await claims.claim(callId, 'charge_2', 'dead-run')).toBe(true);
    // Queue the job with the outcome already on it, as the dead run left it, before any worker can take it.
    const q = new Queue(QUEUES.toolCalls, { connection: { url: REDIS_URL }, prefix });
    try {
      await q.pause();
      await layer.toolCalls.submit({ callId, toolCallId: 'charge_2', name: 'charge', arguments: {} });
      const job = await q.getJob(toolCallJobId(callId, 'charge_2'));
      await job?.updateProgress({ runToken: 'dead-run', outcome: { status: 'succeeded', result: { paid: true } } });
      await q.resume();
    } finally {
      await q.close();
    }
    expect(await sink.waitFor('charge_2')).toMatchObject({ status: 'succeeded', output: { paid: true } });
    expect(hits()).toBe(0);
    expect(await repo.get(callId, 'charge_2')).toMatchObject({ status: 'succeeded', result: { paid: true } });
  });

  it('hands the result to the waiting agent while MySQL holds up the write of its row', async () => {
    const callId = await liveCall();
    sink.awaited.add('stall_1');
    const blocker = await mysql.createConnection(t.url);
    try {
      // A gap lock on the row's key: inserting the row waits until this transaction ends (a stalled write).
      await blocker.query('START TRANSACTION');
      await blocker.query('SELECT id FROM tool_calls WHERE call_id = ? AND tool_call_id = ? FOR UPDATE', [
        callId,
        'stall_1',
      ]);
      await layer.toolCalls.submit({ callId, toolCallId: 'stall_1', name: 'get_weather', arguments: {} });
      expect(await sink.waitFor('stall_1', 10_000)).toMatchObject({ status: 'succeeded', output: { tempC: 21 } });
      expect(await repo.get(callId, 'stall_1')).toBeUndefined();
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    // Once MySQL lets it through, the row holds the outcome and its delivery.
    const row = await eventually(
      async () => {
        const r = await repo.get(callId, 'stall_1');
        return r?.resultDelivery === 'delivered' ? r : undefined;
      },
      20_000,
      'row written',
    );
    expect(row).toMatchObject({ status: 'succeeded', result: { tempC: 21 }, attempts: 1 });
    expect(await claims.holder(callId, 'stall_1')).toBeNull();
  });

  it('records a result the agent took as delivered when its row could not be written at first, and does not hand it over again', async () => {
    const callId = await liveCall();
    sink.awaited.add('unwritten_1');
    const admin = await mysql.createConnection(t.url);
    const q = new Queue(QUEUES.toolCalls, { connection: { url: REDIS_URL }, prefix });
    try {
      // Inserting this row fails (a permanent error, not retried in the run) until the trigger is dropped.
      await admin.query(
        `CREATE TRIGGER refuse_unwritten BEFORE INSERT ON tool_calls FOR EACH ROW BEGIN
           IF NEW.tool_call_id = 'unwritten_1' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; END IF;
         END`,
      );
      await layer.toolCalls.submit({ callId, toolCallId: 'unwritten_1', name: 'get_weather', arguments: {} });
      expect(await sink.waitFor('unwritten_1', 10_000)).toMatchObject({ status: 'succeeded', output: { tempC: 21 } });
      // The first run fails for want of its row; the job will be retried.
      await eventually(
        async () => ((await q.getJob(toolCallJobId(callId, 'unwritten_1')))?.attemptsMade ?? 0) >= 1,
        10_000,
        'the first run failed',
        10,
      );
      expect(await repo.get(callId, 'unwritten_1')).toBeUndefined();
    } finally {
      await admin.query('DROP TRIGGER IF EXISTS refuse_unwritten');
      await admin.end();
      await q.close();
    }
    const row = await eventually(
      async () => {
        const r = await repo.get(callId, 'unwritten_1');
        return r?.resultDelivery === 'delivered' ? r : undefined;
      },
      20_000,
      'row written by the retry',
    );
    expect(row).toMatchObject({ status: 'succeeded', result: { tempC: 21 } });
    expect(sink.received.filter((r) => r.toolCallId === 'unwritten_1')).toHaveLength(1);
    expect(tools.requests.filter((r) => String(r.headers['x-ava-idempotency-key']).startsWith(callId))).toHaveLength(1);
  });

  it('never runs a duplicate twice, whether it arrives at once or after completion', async () => {
    const callId = await liveCall();
    const req = { callId, toolCallId: 'call_dup', name: 'get_weather', arguments: { city: 'Rome' } };
    await Promise.all([layer.toolCalls.submit(req), layer.toolCalls.submit(req), layer.toolCalls.submit(req)]);
    await sink.waitFor('call_dup');
    const q = new Queue(QUEUES.toolCalls, { connection: { url: REDIS_URL }, prefix });
    try {
      // The agent gets its result before the job's outcome is committed, so wait for the job to complete.
      const completed = async () => (await q.getJobState(toolCallJobId(callId, 'call_dup'))) === 'completed';
      await eventually(completed, 20_000, 'first run completed');
      await layer.toolCalls.submit(req); // the completed job still exists: BullMQ drops this one
      // Once the completed job is gone, a new job for the same call is stopped by the tool_calls row.
      expect(await q.remove(toolCallJobId(callId, 'call_dup'))).toBe(1);
      await layer.toolCalls.submit(req);
      await eventually(completed, 20_000, 'rerun');
      expect((await q.getJob(toolCallJobId(callId, 'call_dup')))?.returnvalue).toEqual({ outcome: 'duplicate' });
    } finally {
      await q.close();
    }
    const hitsFor = () =>
      tools.requests.filter((r) => r.headers['x-ava-idempotency-key'] === `${callId}:call_dup`).length;
    expect(hitsFor()).toBe(1);
    expect(sink.count('call_dup')).toBe(1);
  });

  it('retries network-level and 5xx/429 failures, but not other 4xx', async () => {
    const callId = await liveCall();
    await layer.toolCalls.submit({ callId, toolCallId: 'f1', name: 'flaky', arguments: {} });
    await layer.toolCalls.submit({ callId, toolCallId: 'l1', name: 'limited', arguments: {} });
    await layer.toolCalls.submit({ callId, toolCallId: 'b1', name: 'bad', arguments: {} });
    await layer.toolCalls.submit({ callId, toolCallId: 's1', name: 'slow', arguments: {} });
    expect(await sink.waitFor('f1')).toMatchObject({ status: 'succeeded', output: { ok: 3 } });
    expect(await sink.waitFor('l1')).toMatchObject({ status: 'succeeded', output: 'fine' });
    expect(await sink.waitFor('b1')).toMatchObject({ status: 'failed', error: { code: 'TOOL_HTTP_STATUS' } });
    expect(await sink.waitFor('s1')).toMatchObject({ status: 'timed_out', error: { code: 'TOOL_TIMEOUT' } });
    expect(tools.hits('/flaky')).toBe(3);
    expect(tools.hits('/limited')).toBe(2);
    expect(tools.hits('/bad')).toBe(1);
    expect(tools.hits('/slow')).toBe(2);
    expect(await repo.get(callId, 'f1')).toMatchObject({ attempts: 3, status: 'succeeded' });
    expect(await repo.get(callId, 'b1')).toMatchObject({
      attempts: 1,
      status: 'failed',
      errorCode: 'TOOL_HTTP_STATUS',
    });
    expect(await repo.get(callId, 's1')).toMatchObject({ attempts: 2, status: 'timed_out' });
  });

  it('runs built-in tools through call control on the owner and reports bad arguments and unknown tools', async () => {
    const callId = await liveCall();
    await layer.toolCalls.submit({ callId, toolCallId: 'd1', name: 'send_dtmf', arguments: { digits: '42' } });
    expect(await sink.waitFor('d1')).toMatchObject({ status: 'succeeded', output: { sent: 2 } });
    await layer.toolCalls.submit({ callId, toolCallId: 'p1', name: 'play', arguments: { media: 'sound:beep' } });
    expect(await sink.waitFor('p1')).toMatchObject({ status: 'succeeded' });
    await layer.toolCalls.submit({ callId, toolCallId: 'x1', name: 'send_dtmf', arguments: { digits: 'no' } });
    expect(await sink.waitFor('x1')).toMatchObject({ status: 'failed', error: { code: 'TOOL_INVALID_ARGUMENTS' } });
    await layer.toolCalls.submit({ callId, toolCallId: 'u1', name: 'no_such_tool', arguments: {} });
    expect(await sink.waitFor('u1')).toMatchObject({ status: 'failed', error: { code: 'TOOL_UNKNOWN' } });
    await layer.toolCalls.submit({ callId, toolCallId: 'h1', name: 'hangup', arguments: { reason: 'goodbye' } });
    expect(await sink.waitFor('h1')).toMatchObject({ status: 'succeeded', output: { ended: true } });
    expect(controller.count('dtmf', callId)).toBe(1);
    expect(controller.count('hangup', callId)).toBe(1);
  });

  it('records a late result for a call that ended meanwhile instead of losing it', async () => {
    const callId = await liveCall();
    const before = releases.length;
    await layer.toolCalls.submit({ callId, toolCallId: 'late1', name: 'gate', arguments: {} });
    await tools.waitFor((reqs) => reqs.some((r) => (r.json as { toolCallId?: string }).toolCallId === 'late1'));
    await eventually(() => releases.length > before, 20_000, 'tool request held');
    sink.live.delete(callId);
    await layer.ownership.release(callId);
    releases[before]?.();
    const row = await eventually(
      async () => {
        const r = await repo.get(callId, 'late1');
        return r?.resultDelivery === 'call_ended' ? r : undefined;
      },
      20_000,
      'late result recorded',
    );
    expect(row).toMatchObject({ status: 'succeeded', result: { late: true } });
    expect(sink.count('late1')).toBe(0);

    // Owned, but the call is already gone from the sink: recorded the same way.
    const gone = await liveCall();
    sink.live.delete(gone);
    await layer.toolCalls.submit({ callId: gone, toolCallId: 'late2', name: 'get_weather', arguments: {} });
    await sink.waitFor('late2');
    await eventually(
      async () => (await repo.get(gone, 'late2'))?.resultDelivery === 'call_ended',
      20_000,
      'call_ended',
    );
  });

  it('rejects malformed submissions', async () => {
    await expect(
      layer.toolCalls.submit({ callId: 'has:colon', toolCallId: 'x', name: 'get_weather', arguments: {} }),
    ).rejects.toMatchObject({ code: 'TOOL_CALL_INVALID' });
  });
});
