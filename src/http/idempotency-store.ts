import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** A response remembered for an idempotency key. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What a key holds: a request in progress, or its response. */
export type IdempotencyEntry = { state: 'pending' } | { state: 'done'; response: StoredResponse };

const entrySchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('pending') }),
  z.object({ state: z.literal('done'), response: z.object({ status: z.number().int(), body: z.unknown() }) }),
]);

export interface IdempotencyStoreOptions {
  redis: Pick<Redis, 'set' | 'get' | 'del'>;
  prefix: string;
  /** How long a response is remembered. */
  ttlSec?: number;
  /** How long a request may stay in progress before its key is free again. */
  pendingTtlSec?: number;
}

/**
 * Remembers responses by `Idempotency-Key` in Redis (per token), so a repeated request gets the first response
 * instead of repeating its effect. The first request claims the key atomically (`SET NX`); a repeat while it runs
 * sees `pending`.
 */
export class IdempotencyStore {
  readonly #o: Required<IdempotencyStoreOptions>;

  constructor(options: IdempotencyStoreOptions) {
    this.#o = { ttlSec: 86_400, pendingTtlSec: 120, ...options };
  }

  #key(scope: string, key: string): string {
    const digest = createHash('sha256').update(`${scope}\n${key}`).digest('hex');
    return `${this.#o.prefix}:http:idempotency:${digest}`;
  }

  /** Claims the key; returns undefined when claimed, otherwise what it already holds. */
  async claim(scope: string, key: string): Promise<IdempotencyEntry | undefined> {
    const redisKey = this.#key(scope, key);
    const set = await this.#o.redis.set(
      redisKey,
      JSON.stringify({ state: 'pending' }),
      'EX',
      this.#o.pendingTtlSec,
      'NX',
    );
    if (set === 'OK') return undefined;
    const raw = await this.#o.redis.get(redisKey);
    if (raw === null) return this.claim(scope, key);
    const parsed = entrySchema.safeParse(JSON.parse(raw));
    return parsed.success ? (parsed.data as IdempotencyEntry) : { state: 'pending' };
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.#o.redis.set(this.#key(scope, key), JSON.stringify({ state: 'done', response }), 'EX', this.#o.ttlSec);
  }

  /** Frees the key (the request failed in a way a retry may fix). */
  async release(scope: string, key: string): Promise<void> {
    await this.#o.redis.del(this.#key(scope, key));
  }
}
