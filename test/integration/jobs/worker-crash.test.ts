import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { ToolCallsRepository } from '../../../src/db/tool-calls-repository.js';
import { CallOwnership } from '../../../src/jobs/call-ownership.js';
import { QUEUES, type TypedQueue, toolCallJobId } from '../../../src/jobs/queues.js';
import { closeRedisClient, createRedisClient } from '../../../src/jobs/redis-connection.js';
import { type HttpToolInput, ToolCatalog } from '../../../src/jobs/tool-catalog.js';
import { ToolCallWorker } from '../../../src/jobs/tool-call-worker.js';
import { ToolCalls } from '../../../src/jobs/tool-calls.js';
import { ToolResultRouter } from '../../../src/jobs/tool-result-router.js';
import { ToolResultDelivery, ToolResultWorker } from '../../../src/jobs/tool-result-worker.js';
import type { WorkerTuning } from '../../../src/jobs/worker-factory.js';
import type { ToolWorkerChildConfig } from '../../fakes/jobs-tool-worker-child.js';
import { HttpReceiver } from '../../fakes/jobs-http-receiver.js';
import { RecordingToolResultSink } from '../../fakes/jobs-result-sink.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { fakeScript, startTsxChild, type TsxChild } from './child-process.js';
import { cleanRedis, REDIS_URL, randomPrefix, testLogger } from './job-test-env.js';

const SECRET = 'crash_secret_0123456789abcdef';
const FAST: WorkerTuning = { concurrency: 4, lockDurationMs: 1000, stalledIntervalMs: 300, maxStalledCount: 1 };
const DB_RETRY = { initialDelayMs: 100, maxDelayMs: 100, multiplier: 1, jitter: 0, maxAttempts: 20 };

describe('a tool worker killed mid-job', () => {
  it('is retried through stalled-job handling without a second side effect', async () => {
    const prefix = randomPrefix();
    const logger = testLogger();
    const callId = randomUUID();
    const cleanups: Array<() => Promise<unknown>> = [];
    let t: TempDatabase | undefined;
    let child: TsxChild | undefined;
    try {
      t = await createTempDatabase();
      const db = t.db;
      // The tool server holds the first request of each tool open: the worker is mid-call when it dies.
      const receiver = await HttpReceiver.start(SECRET, (req, hit) => {
        if (req.path === '/cached') return { status: 500 };
        return hit === 1 ? 'hang' : { status: 200, body: { done: req.path, hit } };
      });
      cleanups.push(() => receiver.close());
      const tools: HttpToolInput[] = [
        { name: 'charge_card', url: receiver.url('/charge'), secret: SECRET, timeoutMs: 60_000, idempotent: false },
        { name: 'reserve_slot', url: receiver.url('/reserve'), secret: SECRET, timeoutMs: 60_000, idempotent: true },
        { name: 'cached', url: receiver.url('/cached'), secret: SECRET, timeoutMs: 60_000 },
      ].map((x) => ({ ...x, retry: { initialDelayMs: 10, maxDelayMs: 10, multiplier: 1, jitter: 0, maxAttempts: 1 } }));

      // This process: owns the call, receives its tool results, submits tool calls.
      const redis = createRedisClient(REDIS_URL, 'commands');
      cleanups.push(() => closeRedisClient(redis));
      const ownership = new CallOwnership(redis, { prefix, instanceId: 'parent', logger });
      await ownership.start();
      cleanups.push(() => ownership.close());
      await ownership.claim(callId);
      const sink = new RecordingToolResultSink('parent');
      sink.live.add(callId);
      const results = new ToolResultWorker({
        connection: REDIS_URL,
        prefix,
        instanceId: 'parent',
        delivery: new ToolResultDelivery({ db, sink, dbRetry: DB_RETRY, logger }),
        tuning: FAST,
        logger,
      });
      cleanups.push(() => results.close());
      const queue = new Queue(QUEUES.toolCalls, { connection: redis, prefix }) as TypedQueue<'toolCalls'>;
      cleanups.push(() => queue.close());
      const repo = new ToolCallsRepository(db);
      const toolCalls = new ToolCalls({
        queue,
        instanceId: 'parent',
        jobRetry: { initialDelayMs: 100, maxDelayMs: 100, multiplier: 1, jitter: 0, maxAttempts: 3 },
        repository: repo,
      });

      // The worker that will die runs in a child process.
      const config: ToolWorkerChildConfig = {
        redisUrl: REDIS_URL,
        mysqlUrl: t.url,
        prefix,
        instanceId: 'doomed',
        tools,
        tuning: FAST,
      };
      child = startTsxChild(fakeScript('jobs-tool-worker-child.ts'), { JOBS_CHILD_CONFIG: JSON.stringify(config) });
      await child.message<{ type: string }>((m) => m.type === 'ready');
      await toolCalls.submit({ callId, toolCallId: 'charge-1', name: 'charge_card', arguments: { cents: 1999 } });
      await toolCalls.submit({ callId, toolCallId: 'reserve-1', name: 'reserve_slot', arguments: { slot: 'A3' } });
      await receiver.waitFor(
        (reqs) => reqs.some((r) => r.path === '/charge') && reqs.some((r) => r.path === '/reserve'),
      );
      await child.kill();

      // A run that got its answer but died before recording it (outcome left on the job, row still running).
      await toolCalls.submit({ callId, toolCallId: 'cached-1', name: 'cached', arguments: {} });
      await repo.createIfAbsent({ callId, toolCallId: 'cached-1', name: 'cached', arguments: {} });
      expect(await repo.claim(callId, 'cached-1', 'dead-run')).toBe(true);
      const cachedJob = await queue.getJob(toolCallJobId(callId, 'cached-1'));
      await cachedJob?.updateProgress({
        runToken: 'dead-run',
        outcome: { status: 'succeeded', result: { cached: 1 } },
      });

      // A healthy worker notices the dead worker's expired locks and takes the jobs over.
      const rescue = new ToolCallWorker({
        connection: REDIS_URL,
        prefix,
        db,
        catalog: new ToolCatalog(tools),
        control: { execute: async () => Promise.reject(new Error('unused')) },
        router: new ToolResultRouter({ redis, prefix, ownership }),
        controlTimeoutMs: 1000,
        dbRetry: DB_RETRY,
        tuning: FAST,
        logger,
        workerName: 'rescue',
      });
      cleanups.push(() => rescue.close());

      const charge = await sink.waitFor('charge-1', 30_000);
      const reserve = await sink.waitFor('reserve-1', 30_000);
      const cached = await sink.waitFor('cached-1', 30_000);

      // Not idempotent: not sent again; the agent is told the call was interrupted.
      expect(charge).toMatchObject({ status: 'failed', error: { code: 'TOOL_INTERRUPTED' } });
      expect(receiver.hits('/charge')).toBe(1);
      expect(await repo.get(callId, 'charge-1')).toMatchObject({ status: 'failed', errorCode: 'TOOL_INTERRUPTED' });

      // Idempotent: sent again with the same idempotency key, so the tool can tell it is the same call.
      expect(reserve).toMatchObject({ status: 'succeeded', output: { done: '/reserve', hit: 2 } });
      const keys = receiver.requests
        .filter((r) => r.path === '/reserve')
        .map((r) => r.headers['x-ava-idempotency-key']);
      expect(keys).toEqual([`${callId}:reserve-1`, `${callId}:reserve-1`]);
      expect(await repo.get(callId, 'reserve-1')).toMatchObject({ status: 'succeeded', attempts: 2 });

      // The outcome the dead run left behind is recorded and delivered; the tool is not called at all.
      expect(cached).toMatchObject({ status: 'succeeded', output: { cached: 1 } });
      expect(receiver.hits('/cached')).toBe(0);
      expect(sink.received.filter((r) => r.callId === callId)).toHaveLength(3);
    } finally {
      await child?.kill();
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      await t?.drop();
      await cleanRedis(REDIS_URL, prefix);
    }
  }, 90_000);
});
