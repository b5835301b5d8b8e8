import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { onceAsync } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import { delayFor, type RetryPolicy } from '../lib/retry-policy.js';
import { abortableDelay, bullRetryOptions } from './backoff.js';
import type { CallEventPayloads, CallEventSink, CallEventType } from './call-event-types.js';
import type { PersistEventJobData, TypedQueue } from './queues.js';
import { type RedisKeys, redisKeys } from './redis-keys.js';

/** INCR the call's sequence counter and keep it alive; returns the new value. */
const NEXT_SEQ = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n`;

export interface QueuedCallEventSinkOptions {
  /** Connection for short commands (sequence counter); shared, not closed by the sink. */
  redis: Redis;
  prefix: string;
  queue: TypedQueue<'callEvents'>;
  logger: Logger;
  /** Most events held in memory while Redis is unreachable; beyond it new events are dropped and counted. */
  maxBuffered?: number;
  /** Retry schedule for queueing an event while Redis is unreachable (`maxAttempts` is ignored: retried until closed). */
  enqueueRetry?: RetryPolicy;
  /** Retries of the persist job itself (BullMQ attempts), after its in-job database retries are exhausted. */
  persistJobRetry?: RetryPolicy;
  /** How long a call's sequence counter outlives its last event. */
  seqTtlMs?: number;
  /** On close, how long buffered events may take to reach Redis before they are given up. */
  closeFlushMs?: number;
}

interface PendingEvent {
  eventId: string;
  callId: string;
  type: CallEventType;
  payload: unknown;
  occurredAt: number;
  seq?: number;
}

interface Lane {
  items: PendingEvent[];
  running: boolean;
}

export interface CallEventSinkStats {
  buffered: number;
  dropped: number;
  queued: number;
}

const DEFAULT_ENQUEUE_RETRY: RetryPolicy = {
  initialDelayMs: 100,
  maxDelayMs: 5000,
  multiplier: 2,
  maxAttempts: 0,
  jitter: 0.2,
};
const DEFAULT_PERSIST_JOB_RETRY: RetryPolicy = {
  initialDelayMs: 2000,
  maxDelayMs: 300_000,
  multiplier: 2,
  maxAttempts: 20,
  jitter: 0,
};

/**
 * The `CallEventSink` the calls layer emits lifecycle events into. `emit` only appends to an in-memory lane per
 * call and returns; a pump per call then takes the next sequence number from Redis (`INCR seq:<callId>`, so the
 * order is the emission order across instances) and queues a `persist` job (job id = event id, so a retried
 * enqueue never duplicates). While Redis is unreachable events wait in memory (bounded by `maxBuffered`, overflow
 * drops the newest event and counts it) and are retried with backoff, each call's events staying in order.
 */
export class QueuedCallEventSink implements CallEventSink {
  readonly #o: QueuedCallEventSinkOptions;
  readonly #keys: RedisKeys;
  readonly #lanes = new Map<string, Lane>();
  readonly #stop = new AbortController();
  readonly #idleWaiters = new Set<() => void>();
  #buffered = 0;
  #dropped = 0;
  #queued = 0;
  #closed = false;
  #failing = false;

  constructor(options: QueuedCallEventSinkOptions) {
    this.#o = options;
    this.#keys = redisKeys(options.prefix);
  }

  emit<K extends CallEventType>(callId: string, type: K, payload: CallEventPayloads[K]): void {
    if (this.#closed || this.#buffered >= (this.#o.maxBuffered ?? 10_000)) {
      this.#dropped += 1;
      if (this.#dropped === 1 || this.#dropped % 1000 === 0) {
        this.#o.logger.error(
          { callId, type, dropped: this.#dropped, closed: this.#closed },
          'call event dropped: sink closed or event buffer full',
        );
      }
      return;
    }
    let lane = this.#lanes.get(callId);
    if (!lane) {
      lane = { items: [], running: false };
      this.#lanes.set(callId, lane);
    }
    lane.items.push({ eventId: randomUUID(), callId, type, payload, occurredAt: Date.now() });
    this.#buffered += 1;
    if (!lane.running) {
      lane.running = true;
      this.#pump(callId, lane).catch((err: unknown) => {
        this.#o.logger.error({ err, callId }, 'call event pump stopped unexpectedly');
      });
    }
  }

  async #pump(callId: string, lane: Lane): Promise<void> {
    let failures = 0;
    while (lane.items.length > 0 && !this.#stop.signal.aborted) {
      const ev = lane.items[0] as PendingEvent;
      try {
        ev.seq ??= Number(
          await this.#o.redis.eval(NEXT_SEQ, 1, this.#keys.seq(callId), this.#o.seqTtlMs ?? 7 * 86_400_000),
        );
        const data: PersistEventJobData = {
          eventId: ev.eventId,
          callId,
          seq: ev.seq,
          type: ev.type,
          payload: ev.payload ?? {},
          occurredAt: ev.occurredAt,
        };
        await this.#o.queue.add('persist', data, {
          jobId: ev.eventId,
          ...bullRetryOptions(this.#o.persistJobRetry ?? DEFAULT_PERSIST_JOB_RETRY),
          removeOnComplete: { age: 3600, count: 10_000 },
          removeOnFail: { age: 7 * 86_400 },
        });
        lane.items.shift();
        this.#buffered -= 1;
        this.#queued += 1;
        failures = 0;
        if (this.#failing) {
          this.#failing = false;
          this.#o.logger.info({ buffered: this.#buffered }, 'call events are being queued again');
        }
      } catch (err) {
        failures += 1;
        if (!this.#failing) {
          this.#failing = true;
          this.#o.logger.warn({ err, callId }, 'cannot queue call events (Redis unreachable?); holding them in memory');
        }
        const delay = delayFor(this.#o.enqueueRetry ?? DEFAULT_ENQUEUE_RETRY, failures);
        await abortableDelay(delay, this.#stop.signal).catch(() => undefined);
      }
    }
    lane.running = false;
    if (lane.items.length === 0 && this.#lanes.get(callId) === lane) this.#lanes.delete(callId);
    if (this.#lanes.size === 0) {
      for (const wake of this.#idleWaiters) wake();
      this.#idleWaiters.clear();
    }
  }

  /** Resolves true once every event emitted so far is queued in Redis, false if `timeoutMs` passes first. */
  async flush(timeoutMs = 5000): Promise<boolean> {
    if (this.#lanes.size === 0) return true;
    return new Promise<boolean>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idleWaiters.delete(done);
        resolve(this.#lanes.size === 0);
      }, timeoutMs);
      this.#idleWaiters.add(done);
    });
  }

  stats(): CallEventSinkStats {
    return { buffered: this.#buffered, dropped: this.#dropped, queued: this.#queued };
  }

  /**
   * Stops accepting events, gives buffered ones up to `closeFlushMs` to reach Redis, then stops the pumps; events
   * still buffered are logged as lost. Idempotent.
   */
  readonly close = onceAsync(async (): Promise<void> => {
    this.#closed = true;
    const flushed = await this.flush(this.#o.closeFlushMs ?? 5000);
    this.#stop.abort();
    if (!flushed) {
      this.#o.logger.error({ lost: this.#buffered }, 'call events not queued before shutdown were lost');
    }
  });
}
