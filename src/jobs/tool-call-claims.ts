import type { Redis } from 'ioredis';
import { type RedisKeys, redisKeys } from './redis-keys.js';

/** How long a claim outlives a run that never wrote its row, by default: a day. */
export const DEFAULT_TOOL_CLAIM_TTL_MS = 86_400_000;

const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/**
 * Marks in Redis that a run of a tool call has started, so the run can call the tool while its `tool_calls` row is
 * still being written (instead of waiting for MySQL to commit the row first). A claim is taken with SET NX before
 * the row exists and released once the row is written; from then on the row is the tool call's record. A claim
 * still present while the row is missing tells a later run that an earlier one may have called the tool.
 */
export class ToolCallClaims {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #ttlMs: number;

  constructor(redis: Redis, options: { prefix: string; ttlMs?: number }) {
    this.#redis = redis;
    this.#keys = redisKeys(options.prefix);
    this.#ttlMs = options.ttlMs ?? DEFAULT_TOOL_CLAIM_TTL_MS;
  }

  /** Takes the claim for `runToken`; false when another run holds it. Throws when Redis is unreachable. */
  async claim(callId: string, toolCallId: string, runToken: string): Promise<boolean> {
    const r = await this.#redis.set(this.#keys.toolClaim(callId, toolCallId), runToken, 'PX', this.#ttlMs, 'NX');
    return r === 'OK';
  }

  /** Drops the claim if `runToken` still holds it. */
  async release(callId: string, toolCallId: string, runToken: string): Promise<void> {
    await this.#redis.eval(RELEASE_SCRIPT, 1, this.#keys.toolClaim(callId, toolCallId), runToken);
  }

  /** The run token holding the claim, if any. */
  holder(callId: string, toolCallId: string): Promise<string | null> {
    return this.#redis.get(this.#keys.toolClaim(callId, toolCallId));
  }
}
