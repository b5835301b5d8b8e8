import { UnrecoverableError } from 'bullmq';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { ToolCallsRepository } from '../db/tool-calls-repository.js';
import { onceAsync } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import type { RetryPolicy } from '../lib/retry-policy.js';
import {
  instanceQueueName,
  QUEUES,
  type ToolResultJobResult,
  toolResultJobDataSchema,
  type TypedJob,
  type TypedWorker,
} from './queues.js';
import type { RedisConnection } from './redis-connection.js';
import { retryTransient } from './retry-transient.js';
import type { ToolCallResult, ToolResultSink } from './tool-call-types.js';
import { createWorker, type WorkerTuning } from './worker-factory.js';

export interface ToolResultWorkerOptions {
  connection: RedisConnection;
  prefix: string;
  instanceId: string;
  /** This instance's delivery, shared with the tool-result router's direct path. */
  delivery: ToolResultDelivery;
  tuning: WorkerTuning;
  logger: Logger;
}

export interface ToolResultDeliveryOptions {
  db: Kysely<DB>;
  sink: ToolResultSink;
  dbRetry: RetryPolicy;
  logger: Logger;
}

/**
 * Hands a tool result to this instance's calls layer and records on the `tool_calls` row whether the call took it
 * or had ended. Used by the result queue's worker, and directly by a tool run whose call this instance owns.
 */
export class ToolResultDelivery {
  readonly #o: ToolResultDeliveryOptions;
  readonly #repo: ToolCallsRepository;

  constructor(options: ToolResultDeliveryOptions) {
    this.#o = options;
    this.#repo = new ToolCallsRepository(options.db);
  }

  /** Whether an agent on this instance waits for this result. */
  waitsFor(result: Pick<ToolCallResult, 'callId' | 'toolCallId'>): boolean {
    return this.#o.sink.waitsFor?.(result.callId, result.toolCallId) ?? false;
  }

  /**
   * Hands the result to the sink, then records where it went. With `recorded` (the pending write of the outcome to
   * the row), the record waits for that write, and is skipped when the write says another run holds the row.
   */
  async deliver(
    result: ToolCallResult,
    recorded?: Promise<boolean>,
    handedOver?: () => void,
  ): Promise<'delivered' | 'call_ended'> {
    const outcome = await this.#o.sink.deliver(result);
    if (outcome === 'delivered') handedOver?.();
    const delivery = outcome === 'delivered' ? 'delivered' : 'call_ended';
    if (recorded !== undefined && !(await recorded)) return delivery;
    // The sink has the result now: recording that must not make the job run (and deliver) again.
    await retryTransient(() => this.#repo.markDelivery(result.callId, result.toolCallId, delivery), {
      policy: this.#o.dbRetry,
    }).catch((err: unknown) => {
      this.#o.logger.warn(
        { err, callId: result.callId, toolCallId: result.toolCallId },
        'could not record tool delivery',
      );
    });
    return delivery;
  }
}

/**
 * Worker of this instance's `tool-results.<instanceId>` queue: hands each result to the calls layer's
 * `ToolResultSink` and records on the `tool_calls` row whether the call took it or had ended.
 */
export class ToolResultWorker {
  readonly #log: Logger;
  readonly #delivery: ToolResultDelivery;
  readonly #worker: TypedWorker<'toolResults'>;

  constructor(options: ToolResultWorkerOptions) {
    this.#log = options.logger.child({ component: 'tool-results' });
    this.#delivery = options.delivery;
    this.#worker = createWorker(
      'toolResults',
      instanceQueueName(QUEUES.toolResults, options.instanceId),
      (job: TypedJob<'toolResults'>) => this.#process(job),
      {
        connection: options.connection,
        prefix: options.prefix,
        tuning: options.tuning,
        logger: this.#log,
        workerName: options.instanceId,
      },
    );
  }

  async #process(job: TypedJob<'toolResults'>): Promise<ToolResultJobResult> {
    const parsed = toolResultJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed tool result job: ${parsed.error.message}`);
    return { delivery: await this.#delivery.deliver(parsed.data) };
  }

  async waitUntilReady(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /** Stops taking results and waits for those in progress. Idempotent. */
  readonly close = onceAsync(async (): Promise<void> => {
    await this.#worker.close();
  });
}
