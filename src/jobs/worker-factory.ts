import { type Processor, Worker } from 'bullmq';
import type { Logger } from '../observability/logger.js';
import { retryPolicyBackoff } from './backoff.js';
import type { QueueKind, QueueSpecs, TypedWorker } from './queues.js';
import { DEFAULT_REDIS_RECONNECT, type RedisConnection, redisOptionsFor } from './redis-connection.js';

/** How a worker takes and holds jobs. Lock and stall settings decide how soon a dead worker's job is noticed. */
export interface WorkerTuning {
  /** Jobs processed at once by this worker. */
  concurrency: number;
  /** How long a job's lock lives without renewal (a live worker renews it at half this). */
  lockDurationMs: number;
  /** How often stalled jobs (lock expired: the worker died) are looked for. */
  stalledIntervalMs: number;
  /** How often a job may stall and be retried before it fails; 0: a stalled job fails at once. */
  maxStalledCount: number;
}

export const DEFAULT_WORKER_TUNING: WorkerTuning = {
  concurrency: 1,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 1,
};

export interface CreateWorkerOptions {
  connection: RedisConnection;
  prefix: string;
  tuning: WorkerTuning;
  logger: Logger;
  /** Name recorded on jobs it processes (instance id, for tracing which instance ran what). */
  workerName?: string;
}

/**
 * Creates a typed BullMQ worker with its own blocking connection, logging failures and connection errors.
 * `close()` on it waits for the jobs in progress to finish.
 */
export function createWorker<K extends QueueKind>(
  _kind: K,
  queueName: string,
  processor: Processor<QueueSpecs[K]['data'], QueueSpecs[K]['result'], QueueSpecs[K]['name']>,
  options: CreateWorkerOptions,
): TypedWorker<K> {
  const connection = redisOptionsFor(options.connection, 'blocking', DEFAULT_REDIS_RECONNECT, `ava-${queueName}`);
  const worker = new Worker<QueueSpecs[K]['data'], QueueSpecs[K]['result'], QueueSpecs[K]['name']>(
    queueName,
    processor,
    {
      connection,
      prefix: options.prefix,
      concurrency: options.tuning.concurrency,
      lockDuration: options.tuning.lockDurationMs,
      stalledInterval: options.tuning.stalledIntervalMs,
      maxStalledCount: options.tuning.maxStalledCount,
      // Jobs queued with `bullRetryOptions` back off by the shared retry policy they carry.
      settings: { backoffStrategy: retryPolicyBackoff },
      ...(options.workerName ? { name: options.workerName } : {}),
    },
  );
  const log = options.logger.child({ queue: queueName });
  let connectionDown = false;
  worker.on('error', (err) => {
    if (!connectionDown) log.warn({ err }, 'worker error (retrying)');
    connectionDown = true;
  });
  worker.on('ready', () => {
    if (connectionDown) log.info('worker reconnected');
    connectionDown = false;
  });
  worker.on('failed', (job, err) => {
    log.warn({ err, jobId: job?.id, attemptsMade: job?.attemptsMade }, 'job failed');
  });
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled (its worker stopped renewing the lock)'));
  return worker;
}
