/**
 * The job layer's own Redis keys (besides BullMQ's `<prefix>:<queue>:…`), all under the same prefix:
 * - `<prefix>:owner:<callId>` → instance id that owns the live call (expires unless refreshed);
 * - `<prefix>:instance:<instanceId>` → `1` while the instance is alive (expires unless refreshed);
 * - `<prefix>:seq:<callId>` → last event sequence number handed out for the call.
 */
export interface RedisKeys {
  owner(callId: string): string;
  instance(instanceId: string): string;
  seq(callId: string): string;
  /** Pattern matching every key under the prefix (BullMQ's included), for clean-up. */
  all(): string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    owner: (callId) => `${prefix}:owner:${callId}`,
    instance: (instanceId) => `${prefix}:instance:${instanceId}`,
    seq: (callId) => `${prefix}:seq:${callId}`,
    all: () => `${prefix}:*`,
  };
}
