import { describe, expect, it } from 'vitest';
import type { CallRegistry } from '../../../src/calls/call-registry.js';
import type { StasisController } from '../../../src/calls/stasis-controller.js';
import type { WaitingCalls } from '../../../src/calls/agents/waiting-calls.js';
import { createAgentWebRtcEndpoint } from '../../../src/http/agent-webrtc-endpoint.js';
import { CallMetricsCollector } from '../../../src/http/call-metrics.js';
import { ConsoleFeed } from '../../../src/http/console/console-feed.js';
import { CallRecorder } from '../../../src/jobs/call-recorder.js';
import type { CallEventSink } from '../../../src/jobs/call-event-types.js';
import type { CallOwnership } from '../../../src/jobs/call-ownership.js';
import { settleWithin } from '../../../src/lib/once.js';
import { createLogger } from '../../../src/observability/logger.js';

/** An emitter that counts the listeners subscribed per event, so a test can see what close() removed. */
class CountingEmitter {
  readonly listeners = new Map<string, Set<unknown>>();
  on(event: string, listener: unknown): this {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return this;
  }
  off(event: string, listener: unknown): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }
  list(): [] {
    return [];
  }
  count(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

/** Calls close() twice at once and once more later: all resolve, and the first call did the work. */
async function closeThrice(target: { close(): Promise<void> }): Promise<void> {
  const a = target.close();
  const b = target.close();
  expect(a).toBeInstanceOf(Promise);
  await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
  await expect(target.close()).resolves.toBeUndefined();
}

describe('close() of long-lived listeners', () => {
  it('CallRecorder: async, idempotent, unsubscribes from the registry and the Stasis controller', async () => {
    const registry = new CountingEmitter();
    const stasis = new CountingEmitter();
    const recorder = new CallRecorder({
      registry: registry as unknown as CallRegistry,
      stasis: stasis as unknown as StasisController,
      sink: {} as CallEventSink,
      ownership: {} as CallOwnership,
      instanceId: 'i-1',
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    recorder.start();
    expect(registry.count() + stasis.count()).toBe(3);
    await closeThrice(recorder);
    expect(registry.count() + stasis.count()).toBe(0);
  });

  it('CallMetricsCollector: async, idempotent, unsubscribes from the registry', async () => {
    const registry = new CountingEmitter();
    const collector = new CallMetricsCollector(registry as unknown as CallRegistry, () => undefined);
    collector.start();
    expect(registry.count()).toBe(1);
    await closeThrice(collector);
    expect(registry.count()).toBe(0);
  });

  it('ConsoleFeed: async, idempotent, unsubscribes from the registry and drops subscribers', async () => {
    const registry = new CountingEmitter();
    const feed = new ConsoleFeed(registry as unknown as CallRegistry);
    feed.subscribe(() => {});
    expect(registry.count()).toBeGreaterThan(0);
    await closeThrice(feed);
    expect(registry.count()).toBe(0);
  });
});

describe('close() of the WebRTC agent endpoint', () => {
  it('is idempotent: every call gets the same promise, and it resolves', async () => {
    const endpoint = createAgentWebRtcEndpoint({
      waitingCalls: {} as WaitingCalls,
      authenticate: () => true,
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    const first = endpoint.close();
    expect(endpoint.close()).toBe(first);
    await expect(first).resolves.toBeUndefined();
    expect(endpoint.waitingConnections).toBe(0);
  });
});

describe('settleWithin', () => {
  it('reports whether the work settled before the bound, and never rejects', async () => {
    await expect(settleWithin(Promise.resolve(1), 1000)).resolves.toBe(true);
    await expect(settleWithin(Promise.reject(new Error('x')), 1000)).resolves.toBe(true);
    await expect(settleWithin(new Promise(() => {}), 1)).resolves.toBe(false);
  });
});
