import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { delayFor, type RetryPolicy, shouldRetry } from '../lib/retry-policy.js';

/** Where Redis is: a `redis://` URL or ioredis options (host, port, password, db, tls…). */
export type RedisConnection = string | RedisOptions;

/** A lost Redis connection is retried forever (`maxAttempts` 0), backing off from 50 ms to 2 s without jitter. */
export const DEFAULT_REDIS_RECONNECT: RetryPolicy = Object.freeze({
  initialDelayMs: 50,
  maxDelayMs: 2000,
  multiplier: 2,
  jitter: 0,
  maxAttempts: 0,
});

/**
 * What a connection is for:
 * - `commands`: short commands (enqueue, owner look-up). A command issued while Redis is unreachable fails after
 *   `maxRetriesPerRequest` reconnect attempts instead of waiting forever, so callers get a clear error.
 * - `blocking`: BullMQ workers and queue-event readers, which must wait out outages (`maxRetriesPerRequest: null`).
 */
export type RedisPurpose = 'commands' | 'blocking';

/**
 * Connection options for a purpose (as BullMQ takes them), with the reconnect policy applied. The URL, if any,
 * goes in `url`.
 */
export function redisOptionsFor(
  connection: RedisConnection,
  purpose: RedisPurpose,
  policy: RetryPolicy = DEFAULT_REDIS_RECONNECT,
  connectionName?: string,
): BullRedisOptions {
  const base = (typeof connection === 'string' ? { url: connection } : { ...connection }) as BullRedisOptions;
  return {
    ...base,
    ...(connectionName ? { connectionName } : {}),
    // ioredis: `times` is the 1-based reconnect attempt; returning null stops reconnecting.
    retryStrategy: (times: number) => (shouldRetry(policy, times) ? delayFor(policy, times) : null),
    maxRetriesPerRequest: purpose === 'blocking' ? null : 2,
    enableReadyCheck: true,
  };
}

/** Opens an ioredis client for a purpose. The caller owns it and must `quit()`/`disconnect()` it. */
export function createRedisClient(
  connection: RedisConnection,
  purpose: RedisPurpose,
  policy: RetryPolicy = DEFAULT_REDIS_RECONNECT,
  connectionName?: string,
): Redis {
  const { url, ...options } = redisOptionsFor(connection, purpose, policy, connectionName);
  return typeof url === 'string' ? new Redis(url, options as RedisOptions) : new Redis(options as RedisOptions);
}

/** Closes a client politely, falling back to a hard disconnect when Redis is unreachable. Never throws. */
export async function closeRedisClient(client: Redis, timeoutMs = 1000): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
    client.disconnect();
  }
}
