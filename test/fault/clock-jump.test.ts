import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { type ClockTick, MediaClock } from '../../src/audio/media-clock.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { startTestApp } from '../support/app-harness.js';
import { waitFor } from '../support/wait.js';

/** Most frames that arrived within any `windowMs` span. */
function maxInWindow(times: readonly number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! > windowMs) lo += 1;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('the media clock’s time base jumps forward', () => {
  let app: App | undefined;
  let clock: MediaClock | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  afterEach(async () => {
    for (const c of calls.splice(0)) await c.hangup().catch(() => {});
    await app?.stop(2000);
    await clock?.close();
    app = clock = undefined;
  });

  it('sends no burst beyond the catch-up limit, counts the skipped ticks, and the calls go on', async () => {
    let offset = 0;
    const MAX_CATCH_UP = 2;
    clock = new MediaClock({ now: () => performance.now() + offset, maxCatchUpTicks: MAX_CATCH_UP });
    const started = await startTestApp({}, { clock });
    app = started.app;
    // Echo calls with looping tone: playout always has audio waiting when the jump comes.
    const tone = new Int16Array(1600).map((_, i) => Math.round(6000 * Math.sin(i / 3)));
    const arrivals = new Map<string, number[]>();
    for (let i = 0; i < 5; i++) {
      const uuid = randomUUID();
      arrivals.set(uuid, []);
      calls.push(
        await dialAudioSocket({
          host: '127.0.0.1',
          port: started.port,
          uuid,
          source: { type: 'samples', samples: tone, loop: true },
          recordReceived: false,
          onFrame: (f) => {
            if (f.kind === 0x10) arrivals.get(uuid)!.push(f.at);
          },
        }),
      );
    }
    await waitFor(() => [...arrivals.values()].every((a) => a.length > 50), 10_000, 'calls flowing');
    const missedBefore = clock.stats.missed;
    const ticks: ClockTick[] = [];
    const unsubscribe = clock.subscribe((tick) => ticks.push(tick));
    const jumpAt = performance.now();
    offset += 5000; // 250 ticks due at once
    await waitFor(() => clock!.stats.missed >= missedBefore + 240, 5000, 'the jump seen by the clock');
    await waitFor(() => [...arrivals.values()].every((a) => a.filter((t) => t > jumpAt).length > 50), 10_000, 'after');
    unsubscribe();
    expect(clock.stats.missed - missedBefore).toBeLessThanOrEqual(250);
    // The first tick after the jump reports the skipped ticks; only the catch-up ticks and the due one were overdue
    // at that moment (delivered back to back), every later tick was scheduled in the future.
    const jump = ticks.find((t) => t.missed >= 240);
    expect(jump).toBeDefined();
    const overdue = ticks.filter((t) => t.index >= jump!.index && t.scheduledAt <= jump!.firedAt);
    expect(overdue.length).toBeLessThanOrEqual(MAX_CATCH_UP + 1);
    for (const [uuid, times] of arrivals) {
      // And the callers saw no burst: within any second after the jump about 50 frames arrived (plus the
      // catch-up ticks and some slack), where replaying the skipped ticks would have sent 250 more.
      const after = times.filter((t) => t > jumpAt - 100);
      expect(maxInWindow(after, 1000), `call ${uuid}`).toBeLessThanOrEqual(50 + MAX_CATCH_UP + 8);
    }
    expect(app.registry.size).toBe(5);
    expect(calls.every((c) => c.state === 'open')).toBe(true);
  });
});
