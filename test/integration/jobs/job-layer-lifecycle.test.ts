import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ControlError } from '../../../src/jobs/control-error.js';
import { createJobLayer } from '../../../src/jobs/job-layer.js';
import { instanceQueueName, QUEUES } from '../../../src/jobs/queues.js';
import { redisKeys } from '../../../src/jobs/redis-keys.js';
import { FakeCallController } from '../../fakes/jobs-fake-controller.js';
import { RecordingToolResultSink } from '../../fakes/jobs-result-sink.js';
import { createTempDatabase } from '../db/temp-database.js';
import { cleanRedis, FAST_TUNING, REDIS_URL, randomPrefix, testLogger } from './job-test-env.js';

describe('job layer life cycle', () => {
  it('close lets the running command finish, is idempotent, releases ownership and refuses new work', async () => {
    const prefix = randomPrefix();
    const t = await createTempDatabase();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const controller = new FakeCallController('life-a');
    const layer = await createJobLayer({
      redis: REDIS_URL,
      prefix,
      instanceId: 'life-a',
      db: t.db,
      controller,
      toolResultSink: new RecordingToolResultSink('a'),
      logger: testLogger(),
      tuning: FAST_TUNING,
    });
    try {
      await layer.ready();
      const callId = randomUUID();
      controller.live.add(callId);
      await layer.ownership.claim(callId);
      const keys = redisKeys(prefix);
      expect(await redis.get(keys.owner(callId))).toBe('life-a');
      expect(await redis.exists(keys.instance('life-a'))).toBe(1);

      const held = controller.hold('record');
      const pending = layer.controlClient
        .execute({ type: 'record', callId, action: 'start', name: 'r-life' })
        .catch((e: unknown) => e);
      await held.started;
      const first = layer.close();
      const second = layer.close();
      held.release();
      await Promise.all([first, second]);

      // The command in progress ran to completion: its job is completed, not abandoned.
      const q = new Queue(instanceQueueName(QUEUES.callControlInstance, 'life-a'), { connection: redis, prefix });
      try {
        const jobs = await q.getJobs(['completed', 'failed', 'active', 'wait']);
        expect(jobs.map((j) => j.name)).toEqual(['record']);
        expect(await q.getJobState(jobs[0]?.id ?? '')).toBe('completed');
      } finally {
        await q.close();
      }
      const outcome = await pending;
      if (outcome instanceof ControlError) expect(outcome.code).toBe('CONTROL_ABORTED');
      else expect(outcome).toEqual({ name: 'r-life', status: 'recording' });
      expect(controller.count('record', callId)).toBe(1);

      // Ownership released, new work refused.
      expect(await redis.get(keys.owner(callId))).toBeNull();
      expect(await redis.exists(keys.instance('life-a'))).toBe(0);
      await expect(layer.controlClient.execute({ type: 'hangup', callId })).rejects.toMatchObject({
        code: 'CONTROL_ABORTED',
      });
      layer.eventSink.emit(callId, 'call.answered', {});
      expect(layer.eventSink.stats().dropped).toBe(1);
      await layer.close();
    } finally {
      await layer.close();
      redis.disconnect();
      await cleanRedis(REDIS_URL, prefix);
      await t.drop();
    }
  });
});
