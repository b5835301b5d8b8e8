import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { TERMINAL_CALL_STATES } from '../db/schema.js';
import type { CallState } from '../db/schema.js';
import { onceAsync } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import type { CallOwnership } from './call-ownership.js';
import {
  type ControlCommand,
  type ControlCommandType,
  type ControlResults,
  controlCommandSchema,
  controlResultSchemas,
} from './control-commands.js';
import { ControlError } from './control-error.js';
import { waitForJob } from './job-waiter.js';
import {
  type ControlJobData,
  type ControlJobResult,
  controlJobResultSchema,
  instanceQueueName,
  QUEUES,
  type TypedQueue,
} from './queues.js';
import { DEFAULT_REDIS_RECONNECT, type RedisConnection, redisOptionsFor } from './redis-connection.js';

/** What a command accepts before parsing (optional fields may be left out). */
export type ControlCommandInput = z.input<typeof controlCommandSchema>;
export type ControlCommandInputOf<T extends ControlCommandType> = Extract<ControlCommandInput, { type: T }>;

/** The narrow view of the calls table the client needs to tell an ended call from an unknown one. */
export interface CallLookup {
  get(callId: string): Promise<{ state: CallState; endedAt: Date | null } | undefined>;
}

export interface CallControlClientOptions {
  /** Connection for short commands (owner look-ups, enqueueing); shared, not closed by the client. */
  redis: Redis;
  /** Where Redis is, for the event readers the client opens per target queue. */
  connection: RedisConnection;
  prefix: string;
  ownership: Pick<CallOwnership, 'ownerOf' | 'isAlive'>;
  /** Optional: lets the client answer CALL_ENDED instead of CALL_NOT_FOUND for finished calls. */
  calls?: CallLookup;
  /** Recorded on jobs as `requestedBy`. */
  instanceId?: string;
  defaultTimeoutMs?: number;
  /** Most target queues with an open event reader; the least recently used is closed beyond it. */
  maxTargets?: number;
  logger: Logger;
}

export interface ExecuteOptions {
  /** How long to wait for the result (default 10 s). A command still queued then is withdrawn. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Target {
  queue: TypedQueue<'callControl'>;
  events: QueueEvents;
}

/**
 * Sends call-control commands to the instance that owns the call and waits for the result: originate goes to the
 * shared `call-control` queue, every other command to `call-control.<owner>`. Resolves with the command's result
 * or rejects with a `ControlError` (CALL_NOT_FOUND, CALL_ENDED, OWNER_GONE, CONTROL_TIMEOUT, CONTROL_UNAVAILABLE,
 * CONTROL_FAILED, CONTROL_INVALID, CONTROL_ABORTED).
 */
export class CallControlClient {
  readonly #o: CallControlClientOptions;
  readonly #targets = new Map<string, Promise<Target>>();
  readonly #closing = new AbortController();

  constructor(options: CallControlClientOptions) {
    this.#o = options;
  }

  async execute<T extends ControlCommandType>(
    input: ControlCommandInputOf<T>,
    options: ExecuteOptions = {},
  ): Promise<ControlResults[T]> {
    if (this.#closing.signal.aborted) throw new ControlError('CONTROL_ABORTED', 'call-control client is closed');
    const parsed = controlCommandSchema.safeParse(input);
    if (!parsed.success) {
      throw new ControlError('CONTROL_INVALID', `invalid ${String(input.type)} command: ${parsed.error.message}`, {
        issues: parsed.error.issues,
      });
    }
    const command: ControlCommand =
      parsed.data.type === 'originate' ? { ...parsed.data, callId: parsed.data.callId ?? randomUUID() } : parsed.data;
    const timeoutMs = options.timeoutMs ?? this.#o.defaultTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    const signal = options.signal ? AbortSignal.any([options.signal, this.#closing.signal]) : this.#closing.signal;

    let owner: string | null = null;
    let queueName: string = QUEUES.callControl;
    if (command.type !== 'originate') {
      owner = await this.#ownerOrThrow(command.callId);
      queueName = instanceQueueName(QUEUES.callControlInstance, owner);
    }
    let target: Target;
    try {
      target = await this.#target(queueName);
    } catch (err) {
      throw new ControlError('CONTROL_UNAVAILABLE', 'could not open the control queue', { executed: false }, err);
    }
    const data: ControlJobData = {
      command,
      deadline,
      ...(this.#o.instanceId ? { requestedBy: this.#o.instanceId } : {}),
    };
    const jobId = `ctl-${randomUUID()}`;
    try {
      await withDeadline(
        target.queue.add(command.type, data, {
          jobId,
          attempts: 1,
          removeOnComplete: { age: 300, count: 5000 },
          removeOnFail: { age: 3600, count: 5000 },
        }),
        deadline,
        signal,
      );
    } catch (err) {
      await target.queue.remove(jobId).catch(() => 0);
      if (signal.aborted) throw new ControlError('CONTROL_ABORTED', 'aborted before the command was queued');
      throw new ControlError(
        'CONTROL_UNAVAILABLE',
        `could not queue ${command.type}: Redis unreachable`,
        {
          executed: false,
        },
        err,
      );
    }

    const outcome = await waitForJob<unknown>(target.queue, target.events, jobId, { deadline, signal });
    switch (outcome.kind) {
      case 'completed':
        return this.#decode(command.type as T, outcome.value);
      case 'failed':
        throw new ControlError('CONTROL_FAILED', `${command.type} failed on the owner: ${outcome.reason}`, {
          executed: 'unknown',
          reason: outcome.reason,
        });
      case 'aborted':
      case 'timeout': {
        const executed = await this.#withdraw(target.queue, jobId);
        if (executed === 'finished') {
          // It finished just as the wait ended: report what happened.
          const job = await target.queue.getJob(jobId).catch(() => undefined);
          if (job?.finishedOn && !job.failedReason) return this.#decode(command.type as T, job.returnvalue);
        }
        if (outcome.kind === 'aborted') {
          throw new ControlError('CONTROL_ABORTED', `${command.type} aborted while waiting`, {
            executed: executed === false ? false : 'unknown',
          });
        }
        if (owner !== null && executed === false && !(await this.#o.ownership.isAlive(owner).catch(() => true))) {
          throw new ControlError('OWNER_GONE', `instance ${owner} owning call ${command.callId} is gone`, {
            owner,
            executed: false,
          });
        }
        throw new ControlError('CONTROL_TIMEOUT', `no result for ${command.type} within ${timeoutMs} ms`, {
          executed: executed === false ? false : 'unknown',
          ...(owner ? { owner } : {}),
        });
      }
    }
  }

  /**
   * Takes back a command the client stopped waiting for. `false`: it was still queued and is withdrawn, so it will
   * never run; `finished`: it completed or failed meanwhile; `unknown`: it is running, or vanished (Redis lost it),
   * or Redis is unreachable.
   */
  async #withdraw(queue: TypedQueue<'callControl'>, jobId: string): Promise<false | 'finished' | 'unknown'> {
    try {
      const state = await queue.getJobState(jobId);
      if (state === 'completed' || state === 'failed') return 'finished';
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
        return (await queue.remove(jobId)) === 1 ? false : 'unknown';
      }
      return 'unknown';
    } catch {
      return 'unknown';
    }
  }

  async #ownerOrThrow(callId: string): Promise<string> {
    let owner: string | null;
    let alive: boolean;
    try {
      owner = await this.#o.ownership.ownerOf(callId);
      alive = owner !== null && (await this.#o.ownership.isAlive(owner));
    } catch (err) {
      throw new ControlError('CONTROL_UNAVAILABLE', 'could not look up the call owner: Redis unreachable', {}, err);
    }
    if (owner !== null && alive) return owner;
    const row = await this.#o.calls?.get(callId).catch((err: unknown) => {
      this.#o.logger.warn({ err, callId }, 'calls look-up failed while resolving a missing owner');
      return undefined;
    });
    if (row && (row.endedAt !== null || TERMINAL_CALL_STATES.includes(row.state))) {
      throw new ControlError('CALL_ENDED', `call ${callId} has ended`, { callId });
    }
    if (owner !== null) {
      throw new ControlError('OWNER_GONE', `instance ${owner} owning call ${callId} is gone`, { callId, owner });
    }
    if (row) throw new ControlError('OWNER_GONE', `no live instance owns call ${callId}`, { callId });
    throw new ControlError('CALL_NOT_FOUND', `no live call ${callId}`, { callId });
  }

  #decode<T extends ControlCommandType>(type: T, value: unknown): ControlResults[T] {
    const envelope = controlJobResultSchema.safeParse(value);
    if (!envelope.success) {
      throw new ControlError('CONTROL_FAILED', `malformed result for ${type}`, { executed: true });
    }
    const r: ControlJobResult = envelope.data;
    if (!r.ok) {
      const e = r.error;
      if (e.code === 'CALL_NOT_FOUND' || e.code === 'CALL_ENDED' || e.code === 'CONTROL_TIMEOUT') {
        throw new ControlError(e.code, e.message, { remote: e, executed: false });
      }
      throw new ControlError('CONTROL_FAILED', e.message, { remote: e });
    }
    const result = controlResultSchemas[type].safeParse(r.result);
    if (!result.success) {
      throw new ControlError('CONTROL_FAILED', `controller returned a malformed ${type} result`, {
        executed: true,
        issues: result.error.issues,
      });
    }
    return result.data as ControlResults[T];
  }

  #target(name: string): Promise<Target> {
    const existing = this.#targets.get(name);
    if (existing) {
      this.#targets.delete(name);
      this.#targets.set(name, existing); // most recently used last
      return existing;
    }
    const created = this.#openTarget(name);
    this.#targets.set(name, created);
    created.catch(() => this.#targets.delete(name));
    const max = this.#o.maxTargets ?? 32;
    while (this.#targets.size > max) {
      const [oldest, t] = this.#targets.entries().next().value as [string, Promise<Target>];
      this.#targets.delete(oldest);
      t.then(closeTarget).catch(() => undefined);
    }
    return created;
  }

  /**
   * Opens a queue and its event reader. The reader starts from the event stream's current last entry (not from
   * "new events once connected"), so a job finishing before the reader's first read is still seen.
   */
  async #openTarget(name: string): Promise<Target> {
    const queue = new Queue(name, { connection: this.#o.redis, prefix: this.#o.prefix }) as TypedQueue<'callControl'>;
    queue.on('error', (err) => this.#o.logger.debug({ err, queue: name }, 'control queue error'));
    let lastEventId = '$';
    try {
      const last = await this.#o.redis.xrevrange(queue.keys.events ?? '', '+', '-', 'COUNT', 1);
      lastEventId = last[0]?.[0] ?? '0-0';
    } catch {
      // Redis unreachable: enqueueing will report it.
    }
    const connection = redisOptionsFor(this.#o.connection, 'blocking', DEFAULT_REDIS_RECONNECT, 'ava-control-events');
    const events = new QueueEvents(name, { connection, prefix: this.#o.prefix, lastEventId });
    events.on('error', (err) => this.#o.logger.debug({ err, queue: name }, 'control events error'));
    return { queue, events };
  }

  /** Rejects waiting commands with CONTROL_ABORTED and closes the event readers. Idempotent. */
  readonly close = onceAsync(async (): Promise<void> => {
    this.#closing.abort(new ControlError('CONTROL_ABORTED', 'call-control client closed'));
    const targets = [...this.#targets.values()];
    this.#targets.clear();
    await Promise.allSettled(targets.map((t) => t.then(closeTarget)));
  });
}

async function closeTarget(t: Target): Promise<void> {
  await Promise.allSettled([t.events.close(), t.queue.close()]);
}

/** Resolves like `p`, or rejects when the deadline passes or the signal aborts first. */
function withDeadline<T>(p: Promise<T>, deadline: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('deadline passed')), Math.max(0, deadline - Date.now()));
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}
