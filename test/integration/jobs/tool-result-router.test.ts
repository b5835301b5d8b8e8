import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { instanceQueueName, QUEUES, type ToolResultJobData, toolCallJobId } from '../../../src/jobs/queues.js';
import { ToolResultRouter } from '../../../src/jobs/tool-result-router.js';
import { cleanRedis, REDIS_URL, randomPrefix } from './job-test-env.js';

const result: ToolResultJobData = {
  callId: 'call-1',
  toolCallId: 'tc-1',
  name: 'lookup',
  status: 'succeeded',
  output: { ok: true },
} as ToolResultJobData;

const deliveredWith = new Map<ToolResultJobData, Promise<boolean>>();

describe('ToolResultRouter', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(owner: string | null) {
    const prefix = randomPrefix();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    cleanups.push(async () => {
      redis.disconnect();
      await cleanRedis(REDIS_URL, prefix);
    });
    const delivered: ToolResultJobData[] = [];
    deliveredWith.clear();
    const waiting = new Set<string>();
    const router = new ToolResultRouter({
      redis,
      prefix,
      ownership: { ownerOf: async () => owner },
      local: {
        instanceId: 'here',
        delivery: {
          deliver: async (r, recorded) => {
            delivered.push(r);
            if (recorded) deliveredWith.set(r, recorded);
            return r.callId === 'call-1' ? 'delivered' : 'call_ended';
          },
          waitsFor: (r) => waiting.has(r.toolCallId),
        },
      },
    });
    cleanups.push(() => router.close());
    const queueOf = (instance: string) => {
      const q = new Queue(instanceQueueName(QUEUES.toolResults, instance), { connection: redis, prefix });
      cleanups.push(() => q.close());
      return q;
    };
    return { router, delivered, queueOf, waiting };
  }

  it('hands a result for a call this instance owns straight to its delivery, with no queue hop', async () => {
    const { router, delivered, queueOf } = await setup('here');
    expect(await router.route(result)).toBe('delivered');
    expect(delivered).toEqual([result]);
    expect(await queueOf('here').getJobCounts('waiting', 'active', 'completed')).toEqual({
      waiting: 0,
      active: 0,
      completed: 0,
    });
    // The local delivery's own verdict comes back: a call that ended meanwhile is reported as such.
    expect(await router.route({ ...result, callId: 'call-2' })).toBe('call_ended');
  });

  it("queues a result for a call another instance owns on that instance's result queue", async () => {
    const { router, delivered, queueOf } = await setup('there');
    expect(await router.route(result)).toBe('queued');
    expect(delivered).toEqual([]);
    const job = await queueOf('there').getJob(toolCallJobId(result.callId, result.toolCallId));
    expect(job?.data).toEqual(result);
  });

  it('reports unowned when no instance owns the call', async () => {
    const { router, delivered } = await setup(null);
    expect(await router.route(result)).toBe('unowned');
    expect(delivered).toEqual([]);
  });

  it('hands a waiting agent its result before the outcome is written, and the write along with it', async () => {
    const { router, delivered, waiting } = await setup('there');
    waiting.add(result.toolCallId);
    let write!: (ok: boolean) => void;
    const recorded = new Promise<boolean>((resolve) => {
      write = resolve;
    });
    const routed = router.route(result, recorded);
    // The router does not wait for the write before handing over; the delivery gets the write to wait for.
    await new Promise((r) => setImmediate(r));
    expect(delivered).toEqual([result]);
    expect(deliveredWith.get(result)).toBe(recorded);
    write(true);
    expect(await routed).toBe('delivered');
  });

  it('routes nothing elsewhere when the write says another run holds the outcome', async () => {
    const { router, delivered, queueOf } = await setup('there');
    expect(await router.route(result, Promise.resolve(false))).toBe('not_recorded');
    expect(delivered).toEqual([]);
    expect(await queueOf('there').getJob(toolCallJobId(result.callId, result.toolCallId))).toBeUndefined();
    // Written: queued for the owner as usual.
    expect(await router.route(result, Promise.resolve(true))).toBe('queued');
  });

  it('delivers here at once when an agent here waits for the result, whoever Redis says owns the call', async () => {
    const { router, delivered, queueOf, waiting } = await setup('there');
    waiting.add(result.toolCallId);
    expect(await router.route(result)).toBe('delivered');
    expect(delivered).toEqual([result]);
    expect(await queueOf('there').getJob(toolCallJobId(result.callId, result.toolCallId))).toBeUndefined();
  });
});
