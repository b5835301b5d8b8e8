import { UnrecoverableError } from 'bullmq';
import type { Kysely } from 'kysely';
import { CallEventsRepository } from '../db/call-events-repository.js';
import type { DB } from '../db/schema.js';
import { WebhookDeliveriesRepository } from '../db/webhook-deliveries-repository.js';
import { onceAsync } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import type { RetryPolicy } from '../lib/retry-policy.js';
import { abortableDelay, bullRetryOptions } from './backoff.js';
import { applyCallEvent } from './call-event-projection.js';
import { type CallEvent, isCallEventType, parseCallEvent } from './call-event-types.js';
import {
  type PersistEventJobData,
  type PersistEventJobResult,
  persistEventJobDataSchema,
  QUEUES,
  type TypedJob,
  type TypedQueue,
  type TypedWorker,
} from './queues.js';
import type { RedisConnection } from './redis-connection.js';
import { retryTransient } from './retry-transient.js';
import { endpointWants, type WebhookResolver, webhookEndpointKey } from './webhook-endpoints.js';
import { createWorker, type WorkerTuning } from './worker-factory.js';

export interface CallEventPersisterOptions {
  connection: RedisConnection;
  prefix: string;
  db: Kysely<DB>;
  webhooks: WebhookResolver;
  webhookQueue: TypedQueue<'webhookDeliveries'>;
  /** Attempts and backoff of each webhook delivery. */
  webhookRetry: RetryPolicy;
  /** In-job retries of database writes while MySQL is unreachable; the job keeps its place meanwhile. */
  dbRetry: RetryPolicy;
  /** Longest wait for a call's previous event to be stored before storing this one anyway (gap logged). */
  orderWaitMs: number;
  tuning: WorkerTuning;
  logger: Logger;
  workerName?: string;
  /** On close, how long an event stuck in database retries may keep trying before it is left to a later retry. */
  closeGraceMs?: number;
}

/**
 * Worker of the `call-events` queue: stores each lifecycle event in `call_events` (and applies it to the call's
 * row) in sequence order per call, then creates one pending `webhook_deliveries` row and one delivery job per
 * endpoint of the call's route. Database outages are waited out inside the job with backoff, so later events of
 * the call queue up behind it instead of overtaking it; a stored event is never stored twice (event id is unique).
 */
export class CallEventPersister {
  readonly #o: CallEventPersisterOptions;
  readonly #log: Logger;
  readonly #worker: TypedWorker<'callEvents'>;
  readonly #stop = new AbortController();
  #dbDown = false;

  constructor(options: CallEventPersisterOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'call-events' });
    this.#worker = createWorker(
      'callEvents',
      QUEUES.callEvents,
      (job: TypedJob<'callEvents'>, _t?: string, signal?: AbortSignal) => this.#process(job, signal),
      {
        connection: options.connection,
        prefix: options.prefix,
        tuning: options.tuning,
        logger: this.#log,
        ...(options.workerName ? { workerName: options.workerName } : {}),
      },
    );
  }

  async #process(job: TypedJob<'callEvents'>, jobSignal?: AbortSignal): Promise<PersistEventJobResult> {
    const parsed = persistEventJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed call event job: ${parsed.error.message}`);
    const data = parsed.data;
    const signal = jobSignal ? AbortSignal.any([jobSignal, this.#stop.signal]) : this.#stop.signal;
    const event = this.#parse(data);
    const occurredAt = new Date(data.occurredAt);
    const retry = { policy: this.#o.dbRetry, signal, onRetry: (err: unknown) => this.#onDbRetry(err) };

    await this.#waitForPredecessor(data, signal);
    const stored = await retryTransient(
      () =>
        this.#o.db.transaction().execute(async (trx) => {
          const r = await new CallEventsRepository(trx).insert({
            eventId: data.eventId,
            callId: data.callId,
            seq: data.seq,
            type: data.type,
            payload: event ? event.payload : data.payload,
            occurredAt,
          });
          if (r.inserted && event) await applyCallEvent(trx, data.callId, event, occurredAt);
          const call = await trx.selectFrom('calls').select('route').where('id', '=', data.callId).executeTakeFirst();
          return { ...r, route: call?.route ?? null };
        }),
      retry,
    );
    this.#dbRecovered();

    const deliveries = new WebhookDeliveriesRepository(this.#o.db);
    const endpoints = this.#o.webhooks(stored.route).filter((e) => endpointWants(e, data.type));
    for (const endpoint of endpoints) {
      const endpointKey = webhookEndpointKey(endpoint.url);
      const delivery = await retryTransient(
        () =>
          deliveries.createIfAbsent({
            eventRowId: stored.rowId,
            callId: data.callId,
            endpointUrl: endpoint.url,
            endpointKey,
          }),
        retry,
      );
      if (delivery.status !== 'pending') continue;
      await this.#o.webhookQueue.add(
        'deliver',
        { deliveryId: delivery.id, route: stored.route, endpointKey },
        {
          jobId: `whd-${delivery.id}`,
          ...bullRetryOptions(this.#o.webhookRetry),
          removeOnComplete: { age: 3600, count: 10_000 },
          removeOnFail: { age: 7 * 86_400 },
        },
      );
    }
    return { rowId: stored.rowId, seq: stored.seq, deliveries: endpoints.length };
  }

  #parse(data: PersistEventJobData): CallEvent | undefined {
    if (!isCallEventType(data.type)) return undefined;
    try {
      return parseCallEvent(data.type, data.payload);
    } catch (err) {
      this.#log.warn(
        { err, callId: data.callId, type: data.type },
        'call event payload does not fit its type; stored as sent, not applied to the call row',
      );
      return undefined;
    }
  }

  /** Waits (bounded) until the call's previous event is stored, so rows go in in sequence order. */
  async #waitForPredecessor(data: PersistEventJobData, signal: AbortSignal): Promise<void> {
    if (data.seq <= 1) return;
    const events = new CallEventsRepository(this.#o.db);
    const started = Date.now();
    let pause = 25;
    for (;;) {
      const last = await retryTransient(() => events.lastSeq(data.callId), {
        policy: this.#o.dbRetry,
        signal,
        onRetry: (err) => this.#onDbRetry(err),
      });
      this.#dbRecovered();
      if (last >= data.seq - 1) return;
      if (Date.now() - started >= this.#o.orderWaitMs) {
        this.#log.warn(
          { callId: data.callId, seq: data.seq, lastStored: last },
          'previous call event did not arrive in time; storing this one after a gap',
        );
        return;
      }
      await abortableDelay(pause, signal);
      pause = Math.min(pause * 2, 500);
    }
  }

  #onDbRetry(err: unknown): void {
    if (!this.#dbDown) this.#log.warn({ err }, 'database unreachable; holding call events and retrying');
    this.#dbDown = true;
  }

  #dbRecovered(): void {
    if (this.#dbDown) this.#log.info('database reachable again; storing call events');
    this.#dbDown = false;
  }

  async waitUntilReady(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /** Stops taking events and waits for the one in progress (its database retries are cut short). Idempotent. */
  readonly close = onceAsync(async (): Promise<void> => {
    const timer = setTimeout(
      () => this.#stop.abort(new Error('call event persister closing')),
      this.#o.closeGraceMs ?? 5000,
    );
    try {
      await this.#worker.close();
    } finally {
      clearTimeout(timer);
    }
  });
}
