import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../../src/db/calls-repository.js';
import { ControlError } from '../../../src/jobs/control-error.js';
import { createJobLayer, type JobLayer } from '../../../src/jobs/job-layer.js';
import { instanceQueueName, QUEUES } from '../../../src/jobs/queues.js';
import { redisKeys } from '../../../src/jobs/redis-keys.js';
import { FakeCallController } from '../../fakes/jobs-fake-controller.js';
import { RecordingToolResultSink } from '../../fakes/jobs-result-sink.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { cleanRedis, FAST_TUNING, REDIS_URL, randomPrefix, testLogger } from './job-test-env.js';

let t: TempDatabase;
let layer: JobLayer;
let controller: FakeCallController;
let redis: Redis;
const prefix = randomPrefix();
const instanceId = `inst-a:${process.pid}`;

beforeAll(async () => {
  t = await createTempDatabase();
  controller = new FakeCallController(instanceId);
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  layer = await createJobLayer({
    redis: REDIS_URL,
    prefix,
    instanceId,
    db: t.db,
    controller,
    toolResultSink: new RecordingToolResultSink('a'),
    logger: testLogger(),
    tuning: FAST_TUNING,
  });
  await layer.ready();
});

afterAll(async () => {
  await layer?.close();
  redis?.disconnect();
  await cleanRedis(REDIS_URL, prefix);
  await t?.drop();
});

async function expectControlError(p: Promise<unknown>, code: string): Promise<ControlError> {
  const err = await p.then(
    () => {
      throw new Error(`expected ${code}, got a result`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ControlError);
  expect((err as ControlError).code).toBe(code);
  return err as ControlError;
}

describe('call control on one instance', () => {
  it('routes every command type of an owned call to the controller and returns typed results', async () => {
    const callId = randomUUID();
    controller.live.add(callId);
    await layer.ownership.claim(callId);
    const c = layer.controlClient;
    expect(await c.execute({ type: 'play', callId, media: ['sound:hello-world'] })).toMatchObject({
      playbackId: expect.any(String),
    });
    expect(await c.execute({ type: 'dtmf', callId, digits: '12#' })).toEqual({ sent: 3 });
    expect(await c.execute({ type: 'send-message', callId, text: 'please summarise' })).toEqual({ accepted: true });
    expect(await c.execute({ type: 'record', callId, action: 'start', name: 'r1' })).toEqual({
      name: 'r1',
      status: 'recording',
    });
    expect(await c.execute({ type: 'transfer', callId, target: 'PJSIP/200' })).toEqual({ accepted: true });
    expect(await c.execute({ type: 'hangup', callId, reason: 'done' })).toEqual({ ended: true });
    expect(controller.executed.filter((e) => 'callId' in e.command && e.command.callId === callId).length).toBe(6);
    await layer.ownership.release(callId);
  });

  it('originates through the shared queue and reports the new call id', async () => {
    const r = await layer.controlClient.execute({ type: 'originate', endpoint: 'PJSIP/+15550100@trunk' });
    expect(r.callId).toMatch(/^[0-9a-f-]{36}$/);
    expect(controller.count('originate')).toBeGreaterThanOrEqual(1);
    const fixed = randomUUID();
    expect((await layer.controlClient.execute({ type: 'originate', callId: fixed, endpoint: 'PJSIP/1' })).callId).toBe(
      fixed,
    );
  });

  it('tells unknown, ended and orphaned calls apart', async () => {
    await expectControlError(layer.controlClient.execute({ type: 'hangup', callId: randomUUID() }), 'CALL_NOT_FOUND');

    const ended = randomUUID();
    const calls = new CallsRepository(t.db);
    await calls.create({ id: ended, direction: 'inbound' });
    await calls.markEnded(ended, { endedAt: new Date(), closeReason: 'caller_hangup' });
    await expectControlError(layer.controlClient.execute({ type: 'hangup', callId: ended }), 'CALL_ENDED');

    const orphan = randomUUID();
    await redis.set(redisKeys(prefix).owner(orphan), 'dead-instance', 'PX', 60_000);
    await expectControlError(layer.controlClient.execute({ type: 'hangup', callId: orphan }), 'OWNER_GONE');

    // Owned here, but the controller no longer has it: the owner's answer comes back with its code.
    const stale = randomUUID();
    await layer.ownership.claim(stale);
    await expectControlError(layer.controlClient.execute({ type: 'hangup', callId: stale }), 'CALL_NOT_FOUND');
    await layer.ownership.release(stale);
  });

  it('refuses invalid commands before queueing them', async () => {
    const err = await expectControlError(
      layer.controlClient.execute({ type: 'dtmf', callId: randomUUID(), digits: 'xyz' }),
      'CONTROL_INVALID',
    );
    expect(err.category).toBe('invalid_request');
  });

  it('times out when the owner does not answer, and withdraws the unexecuted command', async () => {
    const callId = randomUUID();
    const silent = 'silent-instance';
    const keys = redisKeys(prefix);
    await redis.set(keys.owner(callId), silent, 'PX', 60_000);
    await redis.set(keys.instance(silent), '1', 'PX', 60_000);
    const err = await expectControlError(
      layer.controlClient.execute({ type: 'hangup', callId }, { timeoutMs: 500 }),
      'CONTROL_TIMEOUT',
    );
    expect(err.details).toMatchObject({ executed: false, owner: silent });
    const q = new Queue(instanceQueueName(QUEUES.callControlInstance, silent), { connection: redis, prefix });
    try {
      expect(await q.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 0, active: 0, delayed: 0 });
    } finally {
      await q.close();
    }
  });

  it('aborts a wait when the caller signal fires', async () => {
    const callId = randomUUID();
    controller.live.add(callId);
    await layer.ownership.claim(callId);
    const held = controller.hold('play');
    const ac = new AbortController();
    const p = layer.controlClient.execute({ type: 'play', callId, media: ['sound:x'] }, { signal: ac.signal });
    await held.started;
    ac.abort();
    const err = await expectControlError(p, 'CONTROL_ABORTED');
    expect(err.details).toMatchObject({ executed: 'unknown' });
    held.release();
    await layer.ownership.release(callId);
  });
});
