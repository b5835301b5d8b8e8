import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { CallEventsRepository } from '../../../src/db/call-events-repository.js';
import { CallsRepository } from '../../../src/db/calls-repository.js';
import { createJobLayer, type JobLayer, type JobLayerTuningInput } from '../../../src/jobs/job-layer.js';
import { redisKeys } from '../../../src/jobs/redis-keys.js';
import { staticWebhookResolver } from '../../../src/jobs/webhook-endpoints.js';
import { OwnRedis } from './own-servers.js';
import { FakeCallController } from '../../fakes/jobs-fake-controller.js';
import { HttpReceiver, type ReceivedRequest } from '../../fakes/jobs-http-receiver.js';
import type { InstanceChildCommand, InstanceChildConfig } from '../../fakes/jobs-instance-child.js';
import { RecordingToolResultSink } from '../../fakes/jobs-result-sink.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { fakeScript, startTsxChild, type TsxChild } from './child-process.js';
import { cleanRedis, FAST_TUNING, REDIS_URL, randomPrefix, testLogger } from './job-test-env.js';
import { eventually } from '../../support/wait.js';

const SECRET = 'orphan_webhook_secret_0123456789';
/** A short lease and a short sweep, so a killed instance's calls are found quickly. */
const SHORT: JobLayerTuningInput = { ...FAST_TUNING, ownershipTtlMs: 2000, orphanSweepIntervalMs: 500 };
/** Enough to cover the lease expiry plus a sweep interval on a loaded machine. */
const CLOSE_WITHIN_MS = 2000 + 500 + 15_000;

type ChildMessage = { type: 'ready' } | { type: 'opened'; callId: string } | { type: 'closed' };

/** Everything one test starts, stopped in `afterEach`. */
interface Resources {
  prefix: string;
  db?: TempDatabase;
  receiver?: HttpReceiver;
  layers: JobLayer[];
  children: TsxChild[];
}
let r: Resources = { prefix: randomPrefix(), layers: [], children: [] };

afterEach(async () => {
  for (const c of r.children) await c.kill();
  for (const l of r.layers) await l.close();
  await r.receiver?.close();
  await r.db?.drop();
  await cleanRedis(REDIS_URL, r.prefix);
  r = { prefix: randomPrefix(), layers: [], children: [] };
});

async function setUp(): Promise<{ t: TempDatabase; receiver: HttpReceiver }> {
  const t = await createTempDatabase();
  r.db = t;
  const receiver = await HttpReceiver.start(SECRET, () => ({ status: 204 }));
  r.receiver = receiver;
  return { t, receiver };
}

/** An instance in this process; counts the orphaned calls it closes. */
async function startLayer(
  instanceId: string,
  tuning: JobLayerTuningInput,
  redisUrl = REDIS_URL,
): Promise<JobLayer & { closedCount(): number }> {
  const t = r.db as TempDatabase;
  let closed = 0;
  const layer = await createJobLayer({
    redis: redisUrl,
    prefix: r.prefix,
    instanceId,
    db: t.db,
    controller: new FakeCallController(instanceId),
    toolResultSink: new RecordingToolResultSink(instanceId),
    logger: testLogger(),
    tuning,
    webhooks: staticWebhookResolver({
      all: [{ url: (r.receiver as HttpReceiver).url('/hooks'), secret: SECRET, events: ['call.ended'] }],
      byRoute: {},
    }),
    onOrphanedCallClosed: () => {
      closed += 1;
    },
  });
  r.layers.push(layer);
  await layer.ready();
  return Object.assign(layer, { closedCount: () => closed });
}

/** An instance in a process of its own, which the test may SIGKILL. */
async function startChild(instanceId: string, tuning: JobLayerTuningInput) {
  const config: InstanceChildConfig = {
    redisUrl: REDIS_URL,
    mysqlUrl: (r.db as TempDatabase).url,
    prefix: r.prefix,
    instanceId,
    tools: [],
    tuning,
  };
  const child = startTsxChild(fakeScript('jobs-instance-child.ts'), { JOBS_CHILD_CONFIG: JSON.stringify(config) });
  r.children.push(child);
  const from = <K extends ChildMessage['type']>(type: K, p: (m: Extract<ChildMessage, { type: K }>) => boolean) =>
    child.message<Extract<ChildMessage, { type: K }>>((m) => m.type === type && p(m));
  await from('ready', () => true);
  return {
    child,
    /** Starts a call owned by the child and waits until its two opening events are stored. */
    async openCall(route: string): Promise<string> {
      const callId = randomUUID();
      child.send({ cmd: 'open-call', callId, route } satisfies InstanceChildCommand);
      await from('opened', (m) => m.callId === callId);
      await storedEvents(callId, 2);
      return callId;
    },
  };
}

/** Starts a call owned by an in-process layer, as the call recorder does, and waits until it is stored. */
async function openLocalCall(layer: JobLayer, route: string): Promise<string> {
  const callId = randomUUID();
  await layer.ownership.claim(callId);
  layer.eventSink.emit(callId, 'call.created', {
    direction: 'inbound',
    route,
    ownerInstance: layer.ownership.instanceId,
    state: 'answered',
  });
  await storedEvents(callId, 1);
  return callId;
}

async function storedEvents(callId: string, n: number) {
  const events = new CallEventsRepository((r.db as TempDatabase).db);
  return eventually(
    async () => {
      const rows = await events.listByCall(callId);
      return rows.length >= n ? rows : undefined;
    },
    20_000,
    `${n} stored events of ${callId}`,
  );
}

/** Waits until the call is closed as orphaned, its `call.ended` is stored and its webhook delivered. */
async function expectClosedAsOrphan(callId: string, ownerInstance: string): Promise<ReceivedRequest> {
  const t = r.db as TempDatabase;
  const receiver = r.receiver as HttpReceiver;
  const row = await eventually(
    async () => {
      const call = await new CallsRepository(t.db).get(callId);
      return call?.endedAt ? call : undefined;
    },
    CLOSE_WITHIN_MS,
    'the orphaned call to be closed',
  );
  expect(row).toMatchObject({ state: 'failed', closeReason: 'orphaned', hangupInitiator: 'system', ownerInstance });
  expect(row.endedAt).toBeInstanceOf(Date);

  const events = await eventually(
    async () => {
      const rows = await new CallEventsRepository(t.db).listByCall(callId);
      return rows.some((e) => e.type === 'call.ended') ? rows : undefined;
    },
    20_000,
    'the call.ended event',
  );
  const ended = events.filter((e) => e.type === 'call.ended');
  expect(ended).toHaveLength(1);
  expect(ended[0]?.payload).toEqual({
    state: 'failed',
    closeReason: 'orphaned',
    initiator: 'system',
    hangupCause: null,
    hangupCauseTxt: null,
  });
  expect(ended[0]?.seq).toBe(Math.max(...events.map((e) => e.seq)));

  const isMine = (q: ReceivedRequest) => (q.json as { callId?: string } | null)?.callId === callId;
  await receiver.waitFor((reqs) => reqs.some(isMine));
  const hook = receiver.requests.find(isMine) as ReceivedRequest;
  expect(hook.signature).toMatchObject({ valid: true });
  expect(hook.json).toMatchObject({
    id: ended[0]?.eventId,
    type: 'call.ended',
    callId,
    seq: ended[0]?.seq,
    data: { closeReason: 'orphaned', state: 'failed', initiator: 'system' },
  });
  return hook;
}

describe('calls of a dead instance', () => {
  it('are closed as orphaned by a live instance once the dead one is SIGKILLed mid-call', async () => {
    const { t } = await setUp();
    const b = await startChild('instance-b', SHORT);
    const a = await startLayer('instance-a', SHORT);
    const callA = await openLocalCall(a, 'sales');
    const callB = await b.openCall('sales');

    await b.child.kill(); // SIGKILL: no clean-up, the leases just stop being refreshed
    await expectClosedAsOrphan(callB, 'instance-b');
    expect(a.closedCount()).toBe(1);

    // The live instance's own call is untouched, and closing the orphan again changes nothing.
    expect((await a.orphans.sweep()).closed).toEqual([]);
    expect(await new CallsRepository(t.db).get(callA)).toMatchObject({ endedAt: null, closeReason: null });
    expect(
      (await new CallEventsRepository(t.db).listByCall(callB)).filter((e) => e.type === 'call.ended'),
    ).toHaveLength(1);
  }, 90_000);

  it('are closed by the same instance id at its next start, before its old lease expires', async () => {
    // A lease far longer than the test: only the restart can find the call.
    const LONG: JobLayerTuningInput = { ...FAST_TUNING, ownershipTtlMs: 120_000, orphanSweepIntervalMs: 600_000 };
    const { t } = await setUp();
    const before = await startChild('instance-x', LONG);
    const oldCall = await before.openCall('support');
    await before.child.kill();
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.get(redisKeys(r.prefix).owner(oldCall))).toBe('instance-x');
    } finally {
      redis.disconnect();
    }

    const after = await startLayer('instance-x', LONG);
    await expectClosedAsOrphan(oldCall, 'instance-x');
    expect(after.closedCount()).toBe(1);

    // Calls of the new process under the same id are its own, not its predecessor's.
    const newCall = await openLocalCall(after, 'support');
    expect((await after.orphans.sweep()).closed).toEqual([]);
    expect(await new CallsRepository(t.db).get(newCall)).toMatchObject({ endedAt: null, closeReason: null });
  }, 90_000);

  it('are closed exactly once when several live instances sweep at the same time', async () => {
    const IDLE: JobLayerTuningInput = { ...FAST_TUNING, orphanSweepIntervalMs: 600_000 };
    const { t } = await setUp();
    const a = await startLayer('sweeper-a', IDLE);
    const c = await startLayer('sweeper-c', IDLE);
    // Let each instance's start-up sweep finish; with this interval no other runs on its own.
    await Promise.all([a.orphans.sweep(), c.orphans.sweep()]);
    const calls = new CallsRepository(t.db);
    const orphans: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = randomUUID();
      orphans.push(id);
      await calls.create({ id, direction: 'inbound', state: 'active', ownerInstance: 'ghost', route: 'sales' });
    }
    // A call of the dead instance that another live instance has taken over (it holds the owner key).
    const held = randomUUID();
    await calls.create({ id: held, direction: 'inbound', state: 'active', ownerInstance: 'ghost' });
    const redis = new Redis(REDIS_URL);
    try {
      await redis.set(redisKeys(r.prefix).owner(held), 'sweeper-c', 'PX', 60_000);
    } finally {
      redis.disconnect();
    }

    const [ra, rc] = await Promise.all([a.orphans.sweep(), c.orphans.sweep()]);
    const closed = [...ra.closed, ...rc.closed];
    expect(closed.sort()).toEqual([...orphans].sort());
    expect(a.closedCount() + c.closedCount()).toBe(30);
    expect(await calls.get(held)).toMatchObject({ endedAt: null });

    for (const id of orphans) {
      const events = await storedEvents(id, 1);
      expect(events.map((e) => e.type)).toEqual(['call.ended']);
      expect(await calls.get(id)).toMatchObject({ closeReason: 'orphaned', state: 'failed' });
    }
    await (r.receiver as HttpReceiver).waitFor((reqs) => reqs.length >= 30);
    const hooked = (r.receiver as HttpReceiver).requests.map((q) => (q.json as { callId: string }).callId);
    expect(hooked.sort()).toEqual([...orphans].sort());
  }, 90_000);
});

describe('calls of a live instance', () => {
  it('are never closed while their owner refreshes its lease', async () => {
    const TINY: JobLayerTuningInput = { ...FAST_TUNING, ownershipTtlMs: 1000, orphanSweepIntervalMs: 200 };
    const { t } = await setUp();
    const b = await startChild('instance-b', TINY);
    const a = await startLayer('instance-a', TINY);
    const callA = await openLocalCall(a, 'sales');
    const callB = await b.openCall('sales');

    // Sweep from this instance over several lease lifetimes (the child sweeps on its own timer meanwhile).
    for (let i = 0; i < 8; i++) {
      expect((await a.orphans.sweep()).closed).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const calls = new CallsRepository(t.db);
    expect(await calls.get(callA)).toMatchObject({ endedAt: null, closeReason: null });
    expect(await calls.get(callB)).toMatchObject({ endedAt: null, closeReason: null });
    expect(a.closedCount()).toBe(0);
    for (const id of [callA, callB]) {
      const events = await new CallEventsRepository(t.db).listByCall(id);
      expect(events.some((e) => e.type === 'call.ended')).toBe(false);
    }
  }, 90_000);
});

describe('calls of a live instance across a Redis restart', () => {
  it('are not closed while Redis, restarted empty, has not been up for a whole lease', async () => {
    // The owner refreshes every 10 s: right after the restart its keys are simply missing.
    const SLOW_REFRESH: JobLayerTuningInput = {
      ...FAST_TUNING,
      ownershipTtlMs: 30_000,
      orphanSweepIntervalMs: 600_000,
    };
    const { t } = await setUp();
    const redis = await OwnRedis.create({ appendOnly: false });
    try {
      const owner = await startLayer('owner-a', SLOW_REFRESH, redis.url);
      const sweeper = await startLayer('sweeper-c', SLOW_REFRESH, redis.url);
      const callId = await openLocalCall(owner, 'sales');
      await redis.kill();
      await redis.start();

      const probe = new Redis(redis.url);
      try {
        expect(await probe.exists(redisKeys(r.prefix).instance('owner-a'))).toBe(0);
      } finally {
        probe.disconnect();
      }
      const swept = await eventually(
        () => sweeper.orphans.sweep().catch(() => undefined),
        20_000,
        'a sweep that reaches the restarted Redis',
      );
      expect(swept.closed).toEqual([]);
      expect(await new CallsRepository(t.db).get(callId)).toMatchObject({ endedAt: null, closeReason: null });
      expect(sweeper.closedCount()).toBe(0);
    } finally {
      for (const l of r.layers.splice(0)) await l.close();
      await redis.dispose();
    }
  }, 90_000);
});
