import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { onceAsync } from '../lib/once.js';
import type { CallOwnership } from './call-ownership.js';
import { instanceQueueName, QUEUES, type ToolResultJobData, toolCallJobId, type TypedQueue } from './queues.js';

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
      deliver(result: ToolResultJobData): Promise<'delivered' | 'call_ended'>;
      /** An agent here waits for it: delivered at once, without asking Redis who owns the call. */
      waitsFor?(result: ToolResultJobData): boolean;
    };
  };
}

/**
 * Sends a finished tool call's result to the instance that owns the call now (`tool-results.<owner>`), whichever
 * instance ran the tool — or, when that is this instance, straight to its delivery. Returns `call_ended` when no
 * instance owns the call any more (or, delivered here, the call had ended).
 */
export class ToolResultRouter {
  readonly #o: ToolResultRouterOptions;
  readonly #queues = new Map<string, TypedQueue<'toolResults'>>();

  constructor(options: ToolResultRouterOptions) {
    this.#o = options;
  }

  async route(result: ToolResultJobData): Promise<'queued' | 'delivered' | 'call_ended'> {
    const local = this.#o.local;
    if (local?.delivery.waitsFor?.(result)) return local.delivery.deliver(result);
    const owner = await this.#o.ownership.ownerOf(result.callId);
    if (owner === null) return 'call_ended';
    if (local && owner === local.instanceId) return local.delivery.deliver(result);
    await this.#queue(owner).add('result', result, {
      jobId: toolCallJobId(result.callId, result.toolCallId),
      attempts: 5,
      backoff: { type: 'exponential', delay: 200 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 86_400 },
    });
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
