import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UuidRegistry } from '../../../src/transports/audiosocket/uuid-registry.js';

function registry(options: { maxEntries?: number; expiredMemory?: number } = {}) {
  const clock = { t: 0 };
  const reg = new UuidRegistry<string>({ now: () => clock.t, ...options });
  return { reg, clock };
}

describe('UuidRegistry', () => {
  it('hands a registered UUID its context once, case-insensitively', () => {
    const { reg } = registry();
    const uuid = randomUUID();
    reg.register(uuid.toUpperCase(), 'ctx', 1000);
    expect(reg.has(uuid)).toBe(true);
    expect(reg.take(uuid)).toEqual({ ok: true, context: 'ctx' });
    expect(reg.take(uuid)).toEqual({ ok: false, reason: 'unknown_uuid' });
    expect(reg.size).toBe(0);
  });

  it('expires entries after their TTL, removes them, and says "expired" for them', () => {
    const { reg, clock } = registry();
    const a = randomUUID();
    const b = randomUUID();
    reg.register(a, 'a', 100);
    reg.register(b, 'b', 500);
    clock.t = 100;
    expect(reg.has(a)).toBe(false);
    expect(reg.take(a)).toEqual({ ok: false, reason: 'expired_uuid' });
    expect(reg.size).toBe(1);
    expect(reg.admit(b)).toEqual({ accept: true, context: 'b' });
    expect(reg.admit(randomUUID())).toEqual({ accept: false, reason: 'unknown_uuid', detail: 'is not registered' });
  });

  it('remembers a bounded number of expired UUIDs (oldest forgotten first)', () => {
    const { reg, clock } = registry({ expiredMemory: 2 });
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) reg.register(id, id, 10);
    clock.t = 10;
    reg.take(randomUUID()); // sweeps
    expect(reg.take(ids[0]!)).toEqual({ ok: false, reason: 'unknown_uuid' });
    expect(reg.take(ids[2]!)).toEqual({ ok: false, reason: 'expired_uuid' });
  });

  it('refuses a duplicate registration, an invalid UUID and registrations beyond maxEntries', () => {
    const { reg, clock } = registry({ maxEntries: 2 });
    const a = randomUUID();
    reg.register(a, 'a', 100);
    expect(() => reg.register(a, 'again', 100)).toThrow(expect.objectContaining({ code: 'AUDIOSOCKET_UUID_IN_USE' }));
    expect(() => reg.register('nope', 'x', 100)).toThrow(expect.objectContaining({ code: 'AUDIOSOCKET_INVALID_UUID' }));
    reg.register(randomUUID(), 'b', 100);
    expect(() => reg.register(randomUUID(), 'c', 100)).toThrow(
      expect.objectContaining({ code: 'AUDIOSOCKET_REGISTRY_FULL', retryable: true }),
    );
    // Expired entries make room.
    clock.t = 100;
    expect(() => reg.register(randomUUID(), 'd', 100)).not.toThrow();
    expect(() => reg.register(randomUUID(), 'e', 0)).toThrow(RangeError);
  });

  it('unregisters a waiting UUID', () => {
    const { reg } = registry();
    const a = randomUUID();
    reg.register(a, 'a', 100);
    expect(reg.unregister(a)).toBe(true);
    expect(reg.take(a)).toEqual({ ok: false, reason: 'unknown_uuid' });
  });
});
