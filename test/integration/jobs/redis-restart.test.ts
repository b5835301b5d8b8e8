import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { ControlError } from '../../../src/jobs/control-error.js';
import { createJobLayer, type JobLayer } from '../../../src/jobs/job-layer.js';
import { instanceQueueName, QUEUES } from '../../../src/jobs/queues.js';
import { FakeCallController } from '../../fakes/jobs-fake-controller.js';
import { RecordingToolResultSink } from '../../fakes/jobs-result-sink.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { FAST_TUNING, randomPrefix, testLogger } from './job-test-env.js';
import { eventually } from '../../support/wait.js';
import { OwnRedis } from './own-servers.js';

/** Settles a promise into its value or its error, for asserting on either. */
async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

describe('call control across a Redis restart', () => {
  it.each([
    { appendOnly: true, label: 'with its data (AOF)' },
    { appendOnly: false, label: 'empty' },
  ])(
    'Redis back $label: an in-flight command settles once, commands fail clearly while down, recovery',
    async ({ appendOnly }) => {
      const prefix = randomPrefix();
      const instanceId = 'restart-a';
      let redis: OwnRedis | undefined;
      let t: TempDatabase | undefined;
      let layer: JobLayer | undefined;
      try {
        redis = await OwnRedis.create({ appendOnly });
        t = await createTempDatabase();
        const controller = new FakeCallController(instanceId);
        layer = await createJobLayer({
          redis: redis.url,
          prefix,
          instanceId,
          db: t.db,
          controller,
          toolResultSink: new RecordingToolResultSink('a'),
          logger: testLogger(),
          tuning: FAST_TUNING,
        });
        await layer.ready();
        const callId = randomUUID();
        controller.live.add(callId);
        await layer.ownership.claim(callId);

        // A hangup is inside the controller when Redis crashes.
        const held = controller.hold('hangup');
        const inFlight = settle(layer.controlClient.execute({ type: 'hangup', callId }, { timeoutMs: 5000 }));
        await held.started;
        await redis.kill();

        // While Redis is down, a new command fails fast with a clear, retryable error and never runs.
        const refused = await settle(
          layer.controlClient.execute({ type: 'dtmf', callId, digits: '1' }, { timeoutMs: 3000 }),
        );
        expect(refused.ok).toBe(false);
        const refusedErr = (refused as { error: unknown }).error;
        expect(refusedErr).toBeInstanceOf(ControlError);
        expect(['CONTROL_UNAVAILABLE', 'CONTROL_TIMEOUT']).toContain((refusedErr as ControlError).code);
        expect((refusedErr as ControlError).retryable).toBe(true);

        await redis.start();
        held.release();
        const outcome = await inFlight;
        if (outcome.ok) {
          expect(outcome.value).toEqual({ ended: true });
        } else {
          expect(outcome.error).toBeInstanceOf(ControlError);
          expect(['CONTROL_FAILED', 'CONTROL_TIMEOUT']).toContain((outcome.error as ControlError).code);
          expect((outcome.error as ControlError).details).toMatchObject({ executed: 'unknown' });
        }

        // The crashed job reaches a final state (or vanished with an empty Redis) and ran exactly once.
        const q = new Queue(instanceQueueName(QUEUES.callControlInstance, instanceId), {
          connection: { url: redis.url },
          prefix,
        });
        try {
          await eventually(
            async () => {
              const jobs = await q.getJobs(['completed', 'failed', 'active', 'wait', 'delayed']);
              const hangups = jobs.filter((j) => j.name === 'hangup');
              const states = await Promise.all(hangups.map((j) => q.getJobState(j.id ?? '')));
              return (
                hangups.length === (appendOnly ? 1 : 0) && states.every((s) => s === 'completed' || s === 'failed')
              );
            },
            20_000,
            'the in-flight hangup job to settle',
          );
        } finally {
          await q.close();
        }
        expect(controller.count('hangup', callId, controller.invocations)).toBe(1);
        expect(controller.count('dtmf', callId, controller.invocations)).toBe(0);

        // After recovery the same path works again (owner and instance keys come back from the AOF or are
        // re-created by the ownership refresh loop).
        const other = randomUUID();
        controller.live.add(other);
        await layer.ownership.claim(other);
        expect(await layer.controlClient.execute({ type: 'play', callId: other, media: ['sound:ok'] })).toMatchObject({
          playbackId: expect.any(String),
        });
        expect(controller.count('dtmf', callId, controller.invocations)).toBe(0);
      } finally {
        await layer?.close();
        await t?.drop();
        await redis?.dispose();
      }
    },
    120_000,
  );
});
