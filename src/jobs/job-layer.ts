import { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import { CallsRepository } from '../db/calls-repository.js';
import type { DB } from '../db/schema.js';
import { ToolCallsRepository } from '../db/tool-calls-repository.js';
import { onceAsync, runCleanups } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import type { RetryPolicy } from '../lib/retry-policy.js';
import { CallControlClient } from './call-control-client.js';
import { CallControlWorkers } from './call-control-worker.js';
import type { CallController } from './call-controller.js';
import { CallEventPersister } from './call-event-persister.js';
import { QueuedCallEventSink } from './call-event-sink.js';
import { CallOwnership } from './call-ownership.js';
import { OrphanSweeper } from './orphan-sweeper.js';
import { QUEUES, type TypedQueue } from './queues.js';
import { closeRedisClient, createRedisClient, type RedisConnection } from './redis-connection.js';
import { type HttpToolInput, ToolCatalog } from './tool-catalog.js';
import type { ToolResultSink } from './tool-call-types.js';
import { ToolCallClaims } from './tool-call-claims.js';
import { ToolCallWorker, type ToolRunPhases } from './tool-call-worker.js';
import { ToolCalls } from './tool-calls.js';
import { ToolResultRouter } from './tool-result-router.js';
import { ToolResultDelivery, ToolResultWorker } from './tool-result-worker.js';
import type { WebhookResolver } from './webhook-endpoints.js';
import { WebhookDeliveryWorker } from './webhook-delivery-worker.js';
import { DEFAULT_WORKER_TUNING, type WorkerTuning } from './worker-factory.js';

/** Knobs of the job layer; every field has a production default (`DEFAULT_JOB_LAYER_TUNING`). */
export interface JobLayerTuning {
  controlWorker: WorkerTuning;
  eventWorker: WorkerTuning;
  webhookWorker: WorkerTuning;
  toolWorker: WorkerTuning;
  toolResultWorker: WorkerTuning;
  /** Default wait for a call-control result. */
  controlTimeoutMs: number;
  /** Lifetime of owner/instance keys without refresh. */
  ownershipTtlMs: number;
  /** Time between two sweeps for calls of dead instances (closed with reason `orphaned`). */
  orphanSweepIntervalMs: number;
  /** Most lifecycle events held in memory while Redis is unreachable. */
  eventBufferLimit: number;
  /** In-job retries of database writes while MySQL is unreachable. */
  dbRetry: RetryPolicy;
  /** Longest wait for a call's previous event before storing the next one after a gap. */
  eventOrderWaitMs: number;
  /** Attempts and backoff of each webhook delivery. */
  webhookRetry: RetryPolicy;
  webhookTimeoutMs: number;
  /** BullMQ attempts of tool-call runs that fail for infrastructure reasons. */
  toolJobRetry: RetryPolicy;
}

export const DEFAULT_JOB_LAYER_TUNING: JobLayerTuning = {
  controlWorker: { ...DEFAULT_WORKER_TUNING, concurrency: 16, maxStalledCount: 0 },
  eventWorker: { ...DEFAULT_WORKER_TUNING, concurrency: 4 },
  webhookWorker: { ...DEFAULT_WORKER_TUNING, concurrency: 16 },
  toolWorker: { ...DEFAULT_WORKER_TUNING, concurrency: 32 },
  toolResultWorker: { ...DEFAULT_WORKER_TUNING, concurrency: 16 },
  controlTimeoutMs: 10_000,
  ownershipTtlMs: 30_000,
  orphanSweepIntervalMs: 15_000,
  eventBufferLimit: 10_000,
  dbRetry: { initialDelayMs: 200, maxDelayMs: 5000, multiplier: 2, maxAttempts: 40, jitter: 0.1 },
  eventOrderWaitMs: 15_000,
  webhookRetry: { initialDelayMs: 1000, maxDelayMs: 600_000, multiplier: 2, maxAttempts: 10, jitter: 0.1 },
  webhookTimeoutMs: 10_000,
  toolJobRetry: { initialDelayMs: 1000, maxDelayMs: 30_000, multiplier: 2, maxAttempts: 5, jitter: 0.1 },
};

export type JobLayerTuningInput = {
  [K in keyof JobLayerTuning]?: JobLayerTuning[K] extends WorkerTuning ? Partial<WorkerTuning> : JobLayerTuning[K];
};

export interface JobLayerOptions {
  redis: RedisConnection;
  /** Namespace of every Redis key and queue of this deployment (BullMQ `prefix`). */
  prefix: string;
  /** This instance's id; owner keys and per-instance queues use it. */
  instanceId: string;
  db: Kysely<DB>;
  controller: CallController;
  toolResultSink: ToolResultSink;
  /** HTTP tools agents may call, besides the built-ins (hangup, transfer, send_dtmf, play). */
  tools?: readonly HttpToolInput[];
  /** The webhook endpoints of a call's route. None by default. */
  webhooks?: WebhookResolver;
  logger: Logger;
  tuning?: JobLayerTuningInput;
  /** Told of failed webhook delivery attempts (`final`: the delivery gave up); for metrics. */
  onWebhookAttemptFailed?: ((final: boolean) => void) | undefined;
  /** Called with where the time of each tool run went (for metrics). */
  onToolRun?: ((phases: ToolRunPhases) => void) | undefined;
  /** Told of every call this instance closed because its owner instance died (for metrics). */
  onOrphanedCallClosed?: (() => void) | undefined;
}

/** The job layer of one instance, as the composition root uses it. */
export interface JobLayer {
  /** Sends call-control commands to the owning instance and waits for the result. */
  controlClient: CallControlClient;
  /** Where the calls layer emits lifecycle events. */
  eventSink: QueuedCallEventSink;
  /** Where the calls layer submits agents' function calls. */
  toolCalls: ToolCalls;
  /** Claim a call when it starts here, release it when it ends. */
  ownership: CallOwnership;
  /** Closes the calls of dead instances (at start, then every `orphanSweepIntervalMs`). */
  orphans: OrphanSweeper;
  /** Resolves once every worker is connected to Redis. */
  ready(): Promise<void>;
  /** Flushes buffered events, stops workers after their current jobs, releases ownership. Idempotent. */
  close(): Promise<void>;
}

function mergeTuning(input: JobLayerTuningInput | undefined): JobLayerTuning {
  const d = DEFAULT_JOB_LAYER_TUNING;
  const t = input ?? {};
  return {
    ...d,
    ...t,
    controlWorker: { ...d.controlWorker, ...t.controlWorker },
    eventWorker: { ...d.eventWorker, ...t.eventWorker },
    webhookWorker: { ...d.webhookWorker, ...t.webhookWorker },
    toolWorker: { ...d.toolWorker, ...t.toolWorker },
    toolResultWorker: { ...d.toolResultWorker, ...t.toolResultWorker },
  };
}

/**
 * Builds the job layer of one instance: the call-control client and workers (shared originate queue, this
 * instance's command queue), the lifecycle event sink, persister and webhook deliverer, and the tool-call
 * submitter, runner and result receiver. Everything shares one short-command Redis connection; each worker has
 * its own blocking one.
 */
export async function createJobLayer(options: JobLayerOptions): Promise<JobLayer> {
  const tuning = mergeTuning(options.tuning);
  const log = options.logger.child({ component: 'jobs', instanceId: options.instanceId });
  const catalog = new ToolCatalog(options.tools ?? []);
  const webhooks: WebhookResolver = options.webhooks ?? (() => []);
  const common = { connection: options.redis, prefix: options.prefix, logger: log };
  const redis = createRedisClient(options.redis, 'commands', undefined, `ava-${options.instanceId}`);
  redis.on('error', () => undefined); // reconnects on its own; operations report their errors

  const ownership = new CallOwnership(redis, {
    prefix: options.prefix,
    instanceId: options.instanceId,
    ttlMs: tuning.ownershipTtlMs,
    logger: log,
  });
  try {
    await ownership.start();
  } catch (err) {
    await closeRedisClient(redis);
    throw err;
  }

  const eventQueue = new Queue(QUEUES.callEvents, {
    connection: redis,
    prefix: options.prefix,
  }) as TypedQueue<'callEvents'>;
  const webhookQueue = new Queue(QUEUES.webhookDeliveries, {
    connection: redis,
    prefix: options.prefix,
  }) as TypedQueue<'webhookDeliveries'>;
  const toolQueue = new Queue(QUEUES.toolCalls, {
    connection: redis,
    prefix: options.prefix,
  }) as TypedQueue<'toolCalls'>;
  for (const q of [eventQueue, webhookQueue, toolQueue]) q.on('error', () => undefined);

  const controlClient = new CallControlClient({
    redis,
    connection: options.redis,
    prefix: options.prefix,
    ownership,
    calls: new CallsRepository(options.db),
    instanceId: options.instanceId,
    defaultTimeoutMs: tuning.controlTimeoutMs,
    logger: log,
  });
  const eventSink = new QueuedCallEventSink({
    redis,
    prefix: options.prefix,
    queue: eventQueue,
    logger: log,
    maxBuffered: tuning.eventBufferLimit,
  });
  const toolResultDelivery = new ToolResultDelivery({
    db: options.db,
    sink: options.toolResultSink,
    dbRetry: tuning.dbRetry,
    logger: log.child({ component: 'tool-results' }),
  });
  const router = new ToolResultRouter({
    redis,
    prefix: options.prefix,
    ownership,
    local: { instanceId: options.instanceId, delivery: toolResultDelivery },
  });
  const toolCalls = new ToolCalls({
    queue: toolQueue,
    instanceId: options.instanceId,
    jobRetry: tuning.toolJobRetry,
    repository: new ToolCallsRepository(options.db),
  });

  const controlWorkers = new CallControlWorkers({
    ...common,
    instanceId: options.instanceId,
    controller: options.controller,
    tuning: tuning.controlWorker,
  });
  const persister = new CallEventPersister({
    ...common,
    db: options.db,
    webhooks,
    webhookQueue,
    webhookRetry: tuning.webhookRetry,
    dbRetry: tuning.dbRetry,
    orderWaitMs: tuning.eventOrderWaitMs,
    tuning: tuning.eventWorker,
    workerName: options.instanceId,
  });
  const webhookWorker = new WebhookDeliveryWorker({
    ...common,
    db: options.db,
    webhooks,
    defaultTimeoutMs: tuning.webhookTimeoutMs,
    tuning: tuning.webhookWorker,
    onAttemptFailed: options.onWebhookAttemptFailed,
    workerName: options.instanceId,
  });
  const toolWorker = new ToolCallWorker({
    ...common,
    claims: new ToolCallClaims(redis, { prefix: options.prefix }),
    ...(options.onToolRun ? { onRun: options.onToolRun } : {}),
    db: options.db,
    catalog,
    control: controlClient,
    router,
    controlTimeoutMs: tuning.controlTimeoutMs,
    dbRetry: tuning.dbRetry,
    tuning: tuning.toolWorker,
    workerName: options.instanceId,
  });
  const toolResultWorker = new ToolResultWorker({
    ...common,
    instanceId: options.instanceId,
    delivery: toolResultDelivery,
    tuning: tuning.toolResultWorker,
  });

  const orphans = new OrphanSweeper({
    db: options.db,
    ownership,
    sink: eventSink,
    intervalMs: tuning.orphanSweepIntervalMs,
    logger: log,
    onClosed: options.onOrphanedCallClosed,
  });
  orphans.start();

  const close = onceAsync(async (): Promise<void> => {
    const errors = await runCleanups([
      () => orphans.close(),
      () => eventSink.close(),
      () =>
        Promise.all([
          controlWorkers.close(),
          persister.close(),
          webhookWorker.close(),
          toolWorker.close(),
          toolResultWorker.close(),
        ]),
      () => controlClient.close(),
      () => router.close(),
      () => Promise.allSettled([eventQueue.close(), webhookQueue.close(), toolQueue.close()]),
      () => ownership.close(),
      () => closeRedisClient(redis),
    ]);
    if (errors.length > 0) log.warn({ errors }, 'job layer closed with errors');
  });

  return {
    controlClient,
    eventSink,
    toolCalls,
    ownership,
    orphans,
    ready: async () => {
      await Promise.all([
        controlWorkers.waitUntilReady(),
        persister.waitUntilReady(),
        webhookWorker.waitUntilReady(),
        toolWorker.waitUntilReady(),
        toolResultWorker.waitUntilReady(),
      ]);
    },
    close,
  };
}
