import type { Redis } from 'ioredis';

/**
 * Webhook deliveries seen, by `webhook-id`, so a replayed or retried delivery is acted on once. With the job
 * layer's Redis the claim is `SET NX EX` (shared by every adapter instance behind one webhook URL); without it an
 * in-memory map, bounded (oldest forgotten first) and expiring, serves one instance.
 */
export interface WebhookDeliveryIds {
  /** true the first time `id` is claimed (within the time-to-live), false for a repeat. */
  claim(id: string): Promise<boolean>;
  /** Forgets a claim whose handling failed, so the provider's retry is handled. */
  release(id: string): Promise<void>;
}

export function memoryDeliveryIds(ttlMs: number, maxEntries = 10_000): WebhookDeliveryIds {
  const seen = new Map<string, number>();
  return {
    async claim(id) {
      const now = Date.now();
      const until = seen.get(id);
      if (until !== undefined && until > now) return false;
      seen.delete(id);
      seen.set(id, now + ttlMs);
      for (const [key, expiry] of seen) {
        if (seen.size <= maxEntries && expiry > now) break;
        seen.delete(key);
      }
      return true;
    },
    async release(id) {
      seen.delete(id);
    },
  };
}

export function redisDeliveryIds(redis: Pick<Redis, 'set' | 'del'>, prefix: string, ttlMs: number): WebhookDeliveryIds {
  const key = (id: string) => `${prefix}:openai-sip:webhook:${id}`;
  return {
    async claim(id) {
      return (await redis.set(key(id), '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
    async release(id) {
      await redis.del(key(id));
    },
  };
}
