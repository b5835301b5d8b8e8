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
    const waiting = new Set<string>();
    const router = new ToolResultRouter({
      redis,
      prefix,
      ownership: { ownerOf: async () => owner },
      local: {
        instanceId: 'here',
        delivery: {
          deliver: async (r) => {
            delivered.push(r);
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

  it('reports call_ended when no instance owns the call', async () => {
    const { router, delivered } = await setup(null);
    expect(await router.route(result)).toBe('call_ended');
    expect(delivered).toEqual([]);
  });

  it('delivers here at once when an agent here waits for the result, whoever Redis says owns the call', async () => {
    const { router, delivered, queueOf, waiting } = await setup('there');
    waiting.add(result.toolCallId);
    expect(await router.route(result)).toBe('delivered');
    expect(delivered).toEqual([result]);
    expect(await queueOf('there').getJob(toolCallJobId(result.callId, result.toolCallId))).toBeUndefined();
  });
});
