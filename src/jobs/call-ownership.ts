import { type Redis, ReplyError } from 'ioredis';
import { AppError } from '../errors/app-error.js';
import { onceAsync } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import { type RedisKeys, redisKeys } from './redis-keys.js';

export interface CallOwnershipOptions {
  prefix: string;
  instanceId: string;
  /** How long an owner key lives without refresh; a crashed instance's calls are orphaned after this. */
  ttlMs?: number;
  /** How often keys are refreshed; a third of `ttlMs` by default. */
  refreshMs?: number;
  logger: Logger;
}

/** SET the key to ARGV[1] with TTL ARGV[2] unless another instance holds it; returns 1 or the current holder. */
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return cur`;

/** DEL the key only if ARGV[1] holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Refreshes every key in KEYS held by ARGV[1] (re-creating lost ones) with TTL ARGV[2]; returns the 1-based
 * indexes of keys another instance holds now.
 */
const REFRESH = `
local lost = {}
for i, key in ipairs(KEYS) do
  local cur = redis.call('GET', key)
  if cur == false or cur == ARGV[1] then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
  else
    table.insert(lost, i)
  end
end
return lost`;

/**
 * Which instance owns which live call, kept in Redis so any instance can route a command to the owner:
 * `owner:<callId>` → instance id, with an expiry refreshed while the call lives here, and `instance:<id>` as the
 * instance's own liveness key. The calls layer `claim`s a call when it starts and `release`s it when it ends.
 */
export class CallOwnership {
  readonly instanceId: string;
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #ttlMs: number;
  readonly #refreshMs: number;
  readonly #log: Logger;
  readonly #owned = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #failing = false;

  constructor(redis: Redis, options: CallOwnershipOptions) {
    this.#redis = redis;
    this.instanceId = options.instanceId;
    this.#keys = redisKeys(options.prefix);
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#refreshMs = options.refreshMs ?? Math.max(100, Math.floor(this.#ttlMs / 3));
    this.#log = options.logger;
  }

  /** Marks the instance alive and starts refreshing its keys. */
  async start(): Promise<void> {
    if (this.#timer) return;
    await this.#redis.set(this.#keys.instance(this.instanceId), '1', 'PX', this.#ttlMs);
    this.#timer = setInterval(() => {
      this.refresh().catch(() => undefined);
    }, this.#refreshMs);
    this.#timer.unref();
  }

  /** Makes this instance the owner of a call. Fails with CALL_OWNED_ELSEWHERE if another live instance has it. */
  async claim(callId: string): Promise<void> {
    const r = (await this.#redis.eval(CLAIM, 1, this.#keys.owner(callId), this.instanceId, this.#ttlMs)) as
      | number
      | string;
    if (r !== 1) {
      throw new AppError(`call ${callId} is owned by instance ${String(r)}`, {
        code: 'CALL_OWNED_ELSEWHERE',
        category: 'conflict',
        details: { callId, owner: r },
      });
    }
    this.#owned.add(callId);
  }

  /** Gives up a call (it ended here). Only removes the key if this instance still holds it. */
  async release(callId: string): Promise<void> {
    this.#owned.delete(callId);
    await this.#redis.eval(RELEASE, 1, this.#keys.owner(callId), this.instanceId);
  }

  /** The instance owning a call, or null when no live instance does. */
  async ownerOf(callId: string): Promise<string | null> {
    return this.#redis.get(this.#keys.owner(callId));
  }

  /** Whether an instance has refreshed its liveness key recently. */
  async isAlive(instanceId: string): Promise<boolean> {
    return (await this.#redis.exists(this.#keys.instance(instanceId))) === 1;
  }

  /** The calls among `callIds` whose owner key exists (some instance holds its lease), in one round trip. */
  async heldCalls(callIds: readonly string[]): Promise<Set<string>> {
    if (callIds.length === 0) return new Set();
    const holders = await this.#redis.mget(...callIds.map((c) => this.#keys.owner(c)));
    return new Set(callIds.filter((_, i) => holders[i] !== null && holders[i] !== undefined));
  }

  /**
   * Whether an expired key can be trusted to mean a dead owner: false while Redis has been up for less than the key
   * TTL, since a Redis restarted without its data has lost every lease, live instances' included, until their next
   * refresh. True when Redis does not say (INFO refused).
   */
  async leasesSettled(): Promise<boolean> {
    let info: string;
    try {
      info = await this.#redis.info('server');
    } catch (err) {
      if (err instanceof ReplyError) return true; // INFO disabled by the provider; connection errors propagate
      throw err;
    }
    const uptime = /^uptime_in_seconds:(\d+)/m.exec(info)?.[1];
    return uptime === undefined || Number(uptime) * 1000 >= this.#ttlMs;
  }

  /** Calls this instance owns now. */
  ownedCalls(): readonly string[] {
    return [...this.#owned];
  }

  /** Refreshes the liveness key and every owned call's key once (also run on a timer). */
  async refresh(): Promise<void> {
    const calls = [...this.#owned];
    try {
      await this.#redis.set(this.#keys.instance(this.instanceId), '1', 'PX', this.#ttlMs);
      if (calls.length > 0) {
        const keys = calls.map((c) => this.#keys.owner(c));
        const lost = (await this.#redis.eval(REFRESH, keys.length, ...keys, this.instanceId, this.#ttlMs)) as number[];
        for (const i of lost) {
          const callId = calls[i - 1];
          if (callId === undefined) continue;
          this.#owned.delete(callId);
          this.#log.warn({ callId }, 'call ownership taken over by another instance');
        }
      }
      if (this.#failing) this.#log.info('call ownership refresh recovered');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.#log.warn({ err }, 'call ownership refresh failed; retrying on the next tick');
      this.#failing = true;
      throw err;
    }
  }

  /** Stops refreshing and releases the instance key and any calls still owned. Idempotent; never throws. */
  readonly close = onceAsync(async (): Promise<void> => {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const calls = [...this.#owned];
    this.#owned.clear();
    try {
      for (const callId of calls) await this.#redis.eval(RELEASE, 1, this.#keys.owner(callId), this.instanceId);
      await this.#redis.del(this.#keys.instance(this.instanceId));
    } catch (err) {
      this.#log.warn({ err }, 'could not release call ownership keys on close; they expire on their own');
    }
  });
}
