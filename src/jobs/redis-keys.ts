import { toolCallJobId } from './queues.js';

/**
 * The job layer's own Redis keys (besides BullMQ's `<prefix>:<queue>:…`), all under the same prefix:
 * - `<prefix>:owner:<callId>` → instance id that owns the live call (expires unless refreshed);
 * - `<prefix>:instance:<instanceId>` → `1` while the instance is alive (expires unless refreshed);
 * - `<prefix>:seq:<callId>` → last event sequence number handed out for the call;
 * - `<prefix>:tool-claim:<callId>.<toolCallId>` → run token of the tool run that started a tool call before its
 *   `tool_calls` row existed (expires; removed once the row is written).
 */
export interface RedisKeys {
  owner(callId: string): string;
  instance(instanceId: string): string;
  seq(callId: string): string;
  toolClaim(callId: string, toolCallId: string): string;
  /** Pattern matching every key under the prefix (BullMQ's included), for clean-up. */
  all(): string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    owner: (callId) => `${prefix}:owner:${callId}`,
    instance: (instanceId) => `${prefix}:instance:${instanceId}`,
    seq: (callId) => `${prefix}:seq:${callId}`,
    toolClaim: (callId, toolCallId) => `${prefix}:tool-claim:${toolCallJobId(callId, toolCallId)}`,
    all: () => `${prefix}:*`,
  };
}
