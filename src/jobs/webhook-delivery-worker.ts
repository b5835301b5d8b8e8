import { UnrecoverableError } from 'bullmq';
import type { Kysely } from 'kysely';
import { CallEventsRepository } from '../db/call-events-repository.js';
import type { DB } from '../db/schema.js';
import { WebhookDeliveriesRepository } from '../db/webhook-deliveries-repository.js';
import { onceAsync } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import { QUEUES, type TypedJob, type TypedWorker, type WebhookJobResult, webhookJobDataSchema } from './queues.js';
import type { RedisConnection } from './redis-connection.js';
import { signedJsonPost } from './signed-post.js';
import { type WebhookResolver, webhookEndpointKey } from './webhook-endpoints.js';
import { createWorker, type WorkerTuning } from './worker-factory.js';

export interface WebhookDeliveryWorkerOptions {
  connection: RedisConnection;
  prefix: string;
  db: Kysely<DB>;
  webhooks: WebhookResolver;
  /** Per-request timeout unless the endpoint sets its own. */
  defaultTimeoutMs: number;
  tuning: WorkerTuning;
  logger: Logger;
  /** Told of every failed delivery attempt (`final`: no attempts left); for metrics. */
  onAttemptFailed?: ((final: boolean) => void) | undefined;
  workerName?: string;
}

/**
 * The JSON body of a webhook request: the stored event. Retries send the same body (only the signature's
 * timestamp changes).
 */
export interface WebhookBody {
  id: string;
  type: string;
  callId: string;
  seq: number;
  occurredAt: string;
  data: unknown;
}

/**
 * Worker of the webhook-delivery queue: one job per (event, endpoint). Each attempt POSTs the signed event and
 * records the outcome on the delivery row (attempts, last status and error; delivered or, after the last
 * attempt, failed). Any non-2xx answer or network failure is retried with the queue's backoff, each delivery on
 * its own, so an endpoint that stays down only delays its own deliveries.
 */
export class WebhookDeliveryWorker {
  readonly #o: WebhookDeliveryWorkerOptions;
  readonly #log: Logger;
  readonly #worker: TypedWorker<'webhookDeliveries'>;

  constructor(options: WebhookDeliveryWorkerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'webhooks' });
    this.#worker = createWorker(
      'webhookDeliveries',
      QUEUES.webhookDeliveries,
      (job: TypedJob<'webhookDeliveries'>, _t?: string, signal?: AbortSignal) => this.#process(job, signal),
      {
        connection: options.connection,
        prefix: options.prefix,
        tuning: options.tuning,
        logger: this.#log,
        ...(options.workerName ? { workerName: options.workerName } : {}),
      },
    );
  }

  async #process(job: TypedJob<'webhookDeliveries'>, signal?: AbortSignal): Promise<WebhookJobResult> {
    const parsed = webhookJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed webhook job: ${parsed.error.message}`);
    const { deliveryId, route, endpointKey } = parsed.data;
    const deliveries = new WebhookDeliveriesRepository(this.#o.db);
    const delivery = await deliveries.get(deliveryId);
    if (!delivery) throw new UnrecoverableError(`webhook delivery ${deliveryId} not found`);
    if (delivery.status !== 'pending') return { statusCode: delivery.lastStatusCode ?? 0 };

    const endpoint = this.#o.webhooks(route).find((e) => webhookEndpointKey(e.url) === endpointKey);
    if (!endpoint) {
      await deliveries.recordAttempt(deliveryId, {
        ok: false,
        statusCode: null,
        error: 'endpoint no longer configured for this route',
        final: true,
      });
      throw new UnrecoverableError(`webhook endpoint for delivery ${deliveryId} is no longer configured`);
    }
    const event = await new CallEventsRepository(this.#o.db).getByRowId(delivery.eventRowId);
    if (!event) throw new UnrecoverableError(`event ${delivery.eventRowId} of delivery ${deliveryId} not found`);
    const body: WebhookBody = {
      id: event.eventId,
      type: event.type,
      callId: event.callId,
      seq: event.seq,
      occurredAt: event.occurredAt.toISOString(),
      data: event.payload,
    };
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const outcome = await signedJsonPost({
      url: endpoint.url,
      secret: endpoint.secret,
      body: JSON.stringify(body),
      timeoutMs: endpoint.timeoutMs ?? this.#o.defaultTimeoutMs,
      eventId: event.eventId,
      attempt,
      ...(signal ? { signal } : {}),
    });
    if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) {
      await deliveries.recordAttempt(deliveryId, { ok: true, statusCode: outcome.status });
      return { statusCode: outcome.status };
    }
    const final = attempt >= maxAttempts;
    const statusCode = outcome.kind === 'response' ? outcome.status : null;
    const error =
      outcome.kind === 'response'
        ? `HTTP ${outcome.status}: ${outcome.body.slice(0, 200)}`
        : outcome.kind === 'network'
          ? `network: ${outcome.error}`
          : outcome.kind === 'timeout'
            ? `no response within ${outcome.timeoutMs} ms`
            : 'aborted (worker shutting down)';
    await deliveries.recordAttempt(deliveryId, { ok: false, statusCode, error, final });
    this.#log.debug({ deliveryId, attempt, final, error }, 'webhook delivery attempt failed');
    this.#o.onAttemptFailed?.(final);
    throw new Error(`webhook delivery ${deliveryId} attempt ${attempt}/${maxAttempts} failed: ${error}`);
  }

  async waitUntilReady(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /** Stops taking deliveries and waits for those in progress. Idempotent. */
  readonly close = onceAsync(async (): Promise<void> => {
    await this.#worker.close();
  });
}
