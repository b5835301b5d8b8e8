import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdleWatchdog } from '../../../src/transports/audiosocket/idle-watchdog.js';

describe('IdleWatchdog.close', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is async and idempotent, and no idle report comes after it, even if start() is called again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    let now = 0;
    const idle: number[] = [];
    const w = new IdleWatchdog({ timeoutMs: 1000, onIdle: (ms) => idle.push(ms), now: () => now });
    w.start();
    const first = w.close();
    expect(first).toBeInstanceOf(Promise);
    await Promise.all([first, w.close()]);
    w.start();
    now = 5000;
    await vi.advanceTimersByTimeAsync(5000);
    expect(idle).toEqual([]);
  });

  it('reports idleness while open (so the test above proves close() silenced it)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    let now = 0;
    const idle: number[] = [];
    const w = new IdleWatchdog({ timeoutMs: 1000, onIdle: (ms) => idle.push(ms), now: () => now });
    w.start();
    now = 1000;
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1);
    expect(idle).toEqual([1000]);
    await w.close();
  });
});
