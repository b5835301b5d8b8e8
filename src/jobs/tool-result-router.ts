import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { onceAsync } from '../lib/once.js';
import type { RetryPolicy } from '../lib/retry-policy.js';
import { bullRetryOptions } from './backoff.js';
import type { CallOwnership } from './call-ownership.js';
import { instanceQueueName, QUEUES, type ToolResultJobData, toolCallJobId, type TypedQueue } from './queues.js';

/** A tool-result job on the owner's queue runs up to 5 times, waiting 0.2 s, 0.4 s, 0.8 s, 1.6 s between runs. */
const TOOL_RESULT_JOB_RETRY: RetryPolicy = {
  initialDelayMs: 200,
  maxDelayMs: 3200,
  multiplier: 2,
  jitter: 0,
  maxAttempts: 5,
};

export interface ToolResultRouterOptions {
  /** Connection for enqueueing; shared, not closed by the router. */
  redis: Redis;
  prefix: string;
  ownership: Pick<CallOwnership, 'ownerOf'>;
  /** Most per-instance result queues kept open; the least recently used is closed beyond it. */
  maxTargets?: number;
  /**
   * This instance and its own delivery: a result for a call this instance owns is handed over directly instead of
   * through its `tool-results` queue (one hop less; the tool run's job is still what makes it durable: it fails and
   * is retried if this delivery throws).
   */
  local?: {
    instanceId: string;
    delivery: {
      deliver(
        result: ToolResultJobData,
        recorded?: Promise<boolean>,
        handedOver?: () => void,
      ): Promise<'delivered' | 'call_ended'>;
      /** An agent here waits for it: delivered at once, without asking Redis who owns the call. */
      waitsFor?(result: ToolResultJobData): boolean;
    };
  };
}

/**
 * Where {@link ToolResultRouter.route} sent a result:
 * - `delivered` / `call_ended`: handed to this instance's delivery, which took it to the call or found the call
 *   ended, and recorded which on the `tool_calls` row;
 * - `queued`: on the owning instance's result queue;
 * - `unowned`: no instance owns the call any more (nothing recorded: the caller records it);
 * - `not_recorded`: `recorded` said the outcome was not recorded (another run took the tool call over), so the
 *   result went nowhere.
 */
export type RouteOutcome = 'delivered' | 'call_ended' | 'queued' | 'unowned' | 'not_recorded';

/**
 * Sends a finished tool call's result to the instance that owns the call now (`tool-results.<owner>`), whichever
 * instance ran the tool — or, when that is this instance, straight to its delivery.
 *
 * `recorded`, when given, is the pending write of the outcome to the `tool_calls` row (true once written, false if
 * another run holds the row). An agent waiting here gets the result at once, without waiting for that write; the
 * delivery is recorded on the row after it. Any other route waits for the write first. `handedOver` is called
 * when the result has left: taken by the agent here, or queued for the owner.
 */
export class ToolResultRouter {
  readonly #o: ToolResultRouterOptions;
  readonly #queues = new Map<string, TypedQueue<'toolResults'>>();

  constructor(options: ToolResultRouterOptions) {
    this.#o = options;
  }

  async route(result: ToolResultJobData, recorded?: Promise<boolean>, handedOver?: () => void): Promise<RouteOutcome> {
    const local = this.#o.local;
    if (local?.delivery.waitsFor?.(result)) return local.delivery.deliver(result, recorded, handedOver);
    if (recorded !== undefined && !(await recorded)) return 'not_recorded';
    const owner = await this.#o.ownership.ownerOf(result.callId);
    if (owner === null) return 'unowned';
    if (local && owner === local.instanceId) return local.delivery.deliver(result, undefined, handedOver);
    await this.#queue(owner).add('result', result, {
      jobId: toolCallJobId(result.callId, result.toolCallId),
      ...bullRetryOptions(TOOL_RESULT_JOB_RETRY),
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 86_400 },
    });
    handedOver?.();
    return 'queued';
  }

  #queue(instanceId: string): TypedQueue<'toolResults'> {
    const name = instanceQueueName(QUEUES.toolResults, instanceId);
    const existing = this.#queues.get(name);
    if (existing) {
      this.#queues.delete(name);
      this.#queues.set(name, existing);
      return existing;
    }
    const q = new Queue(name, { connection: this.#o.redis, prefix: this.#o.prefix }) as TypedQueue<'toolResults'>;
    q.on('error', () => undefined);
    this.#queues.set(name, q);
    while (this.#queues.size > (this.#o.maxTargets ?? 64)) {
      const [oldest, old] = this.#queues.entries().next().value as [string, TypedQueue<'toolResults'>];
      this.#queues.delete(oldest);
      old.close().catch(() => undefined);
    }
    return q;
  }

  /** Closes the result queues. Idempotent. */
  readonly close = onceAsync(async (): Promise<void> => {
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.allSettled(queues.map((q) => q.close()));
  });
}
