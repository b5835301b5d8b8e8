import { describe, expect, it } from 'vitest';
import { type ClockTick, MediaClock } from '../../../src/audio/media-clock.js';
import { fakeTime, seededRandom } from '../../support/fake-time.js';

describe('MediaClock', () => {
  it('ticks on the start + n*interval grid with no drift over an hour of simulated jitter', () => {
    const t = fakeTime();
    const clock = new MediaClock({ now: t.now, setTimer: t.setTimer, clearTimer: t.clearTimer });
    const ticks: ClockTick[] = [];
    clock.subscribe((tick) => ticks.push(tick));
    clock.start();
    const random = seededRandom(7);
    const jitter = () => random() * 4; // each timer fires up to 4 ms late
    const hourMs = 3_600_000;
    t.advance(hourMs, jitter);
    clock.stop();
    // 1 tick at start + one per 20 ms.
    expect(ticks.length).toBe(hourMs / 20 + 1);
    expect(ticks.at(-1)!.scheduledAt).toBe(1000 + hourMs);
    ticks.forEach((tick, i) => {
      expect(tick.index).toBe(i);
    });
    expect(clock.stats.missed).toBe(0);
  });

  it('delivers up to maxCatchUpTicks overdue ticks after a short stall, in order', () => {
    const t = fakeTime();
    const clock = new MediaClock({ now: t.now, setTimer: t.setTimer, clearTimer: t.clearTimer, maxCatchUpTicks: 2 });
    const ticks: ClockTick[] = [];
    clock.subscribe((tick) => ticks.push(tick));
    clock.start();
    t.advance(100); // ticks 0..5
    expect(ticks.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5]);
    t.stall(45); // ticks 6 and 7 are overdue when the timer finally runs
    t.advance(0);
    expect(ticks.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(ticks.every((x) => x.missed === 0)).toBe(true);
    clock.stop();
  });

  it('skips ticks instead of bursting after a long stall, and reports how many it skipped', () => {
    const t = fakeTime();
    const clock = new MediaClock({ now: t.now, setTimer: t.setTimer, clearTimer: t.clearTimer, maxCatchUpTicks: 2 });
    const ticks: ClockTick[] = [];
    clock.subscribe((tick) => ticks.push(tick));
    clock.start();
    t.advance(20); // ticks 0, 1
    t.stall(1000); // 50 ticks overdue
    t.advance(0);
    const after = ticks.slice(2);
    // At most maxCatchUp + 1 ticks in the burst, the first one carrying the skipped count.
    expect(after.length).toBe(3);
    // Ticks 2..51 were due (50); three are delivered (49, 50, 51), 47 are skipped.
    expect(after.map((x) => x.index)).toEqual([49, 50, 51]);
    expect(after[0]!.missed).toBe(47);
    expect(clock.stats.missed).toBe(after[0]!.missed);
    // The grid is kept: the next tick is still on start + n * 20.
    t.advance(20);
    const last = ticks.at(-1)!;
    expect((last.scheduledAt - 1000) % 20).toBe(0);
    expect(last.index).toBe(after.at(-1)!.index + 1);
    clock.stop();
  });

  it('keeps ticking other listeners when one throws, and stops cleanly', () => {
    const t = fakeTime();
    const errors: unknown[] = [];
    const clock = new MediaClock({
      now: t.now,
      setTimer: t.setTimer,
      clearTimer: t.clearTimer,
      onListenerError: (e) => errors.push(e),
    });
    let good = 0;
    clock.subscribe(() => {
      throw new Error('boom');
    });
    const off = clock.subscribe(() => {
      good += 1;
    });
    clock.start();
    t.advance(40);
    expect(good).toBe(3);
    expect(errors.length).toBe(3);
    off();
    t.advance(20);
    expect(good).toBe(3);
    clock.stop();
    expect(clock.running).toBe(false);
    expect(t.pending()).toBe(0);
  });

  it('runs on the real timer base', async () => {
    const clock = new MediaClock();
    const ticks: ClockTick[] = [];
    try {
      await new Promise<void>((resolve) => {
        clock.subscribe((tick) => {
          ticks.push(tick);
          if (ticks.length === 5) resolve();
        });
        clock.start();
      });
    } finally {
      clock.stop();
    }
    expect(ticks.map((x) => x.index)).toEqual([0, 1, 2, 3, 4]);
    for (const tick of ticks) expect(tick.firedAt).toBeGreaterThanOrEqual(tick.scheduledAt - 1);
  });

  it('close() ends the clock for good: idempotent, no timer left, start() no longer runs it', async () => {
    const t = fakeTime();
    const clock = new MediaClock({ now: t.now, setTimer: t.setTimer, clearTimer: t.clearTimer });
    const ticks: ClockTick[] = [];
    clock.subscribe((tick) => ticks.push(tick));
    clock.start();
    t.advance(40);
    const first = clock.close();
    const second = clock.close();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    expect(clock.running).toBe(false);
    expect(clock.listenerCount).toBe(0);
    expect(t.pending()).toBe(0);
    clock.start();
    expect(clock.running).toBe(false);
    const count = ticks.length;
    t.advance(100);
    expect(ticks.length).toBe(count);
  });

  it('stop() only pauses: start() runs the clock again', () => {
    const t = fakeTime();
    const clock = new MediaClock({ now: t.now, setTimer: t.setTimer, clearTimer: t.clearTimer });
    clock.stop();
    clock.start();
    expect(clock.running).toBe(true);
    clock.stop();
    expect(t.pending()).toBe(0);
  });
});
