import { describe, expect, it } from 'vitest';
import type { ClockTick } from '../../../src/audio/media-clock.js';
import { planCalls } from '../../../bench/loadgen/callers.js';
import { checkPhases, PhasedClock, phaseOffsetMs } from '../../../bench/loadgen/phased-clock.js';

/** Timers on a simulated time line: `advance` runs every timer due by then, in due order, each late by `lateMs(n)`. */
function simulatedTimers(lateMs: (n: number) => number = () => 0) {
  let now = 1000;
  let fired = 0;
  let timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 0;
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.push({ at: now + ms + lateMs(fired++), fn, id });
      return id;
    },
    clearTimer: (id: unknown) => {
      timers = timers.filter((t) => t.id !== id);
    },
    advance(to: number) {
      for (;;) {
        let first: (typeof timers)[number] | undefined;
        for (const t of timers) if (t.at <= to && (!first || t.at < first.at)) first = t;
        if (!first) break;
        timers = timers.filter((t) => t !== first);
        now = first.at;
        first.fn();
      }
      now = to;
    },
  };
}

describe('phases of the load generator clock', () => {
  it('spreads the phases uniformly over the 20 ms period', () => {
    expect(Array.from({ length: 20 }, (_, p) => phaseOffsetMs(p, 20))).toEqual(Array.from({ length: 20 }, (_, p) => p));
    expect(Array.from({ length: 4 }, (_, p) => phaseOffsetMs(p, 4))).toEqual([0, 5, 10, 15]);
    expect(phaseOffsetMs(0, 1)).toBe(0);
    expect(() => checkPhases(0)).toThrow(RangeError);
    expect(() => checkPhases(21)).toThrow(RangeError);
    expect(() => checkPhases(2.5)).toThrow(RangeError);
  });

  it('gives the planned calls every phase in turn, so any number of calls is spread evenly', () => {
    for (const [calls, phases] of [
      [300, 20],
      [150, 20],
      [37, 7],
      [5, 20],
    ] as const) {
      const plan = planCalls({ calls, seconds: 10, phases }, 0, 10_000);
      const counts = Array.from({ length: phases }, (_, p) => plan.filter((c) => c.phase === p).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(calls);
    }
    // Aligned: every call in phase 0.
    expect(new Set(planCalls({ calls: 50, seconds: 10, phases: 1 }, 0, 10_000).map((c) => c.phase))).toEqual(
      new Set([0]),
    );
  });

  it('keeps the phases of the calls up at any moment uniform when calls end and are redialled', () => {
    const plan = planCalls({ calls: 40, seconds: 60, durationS: 7, phases: 20 }, 0, 60_000);
    expect(plan.length).toBeGreaterThan(40 * 5);
    for (let t = 1000; t < 59_000; t += 1234) {
      const up = plan.filter((c) => c.at <= t && t < c.endAt);
      const counts = Array.from({ length: 20 }, (_, p) => up.filter((c) => c.phase === p).length);
      expect(counts).toEqual(Array.from({ length: 20 }, () => 2));
    }
  });

  it('keeps every subscriber on an exact 20 ms grid at its phase, through late timers, joins and leaves', () => {
    // Timers fire up to 7 ms late (never more than the catch-up window): no tick is lost or doubled.
    const timers = simulatedTimers((n) => (n * 7919) % 8);
    const delivered: Array<{ phase: number; tick: ClockTick }> = [];
    const clock = new PhasedClock({ phases: 20, ...timers, onTick: (tick, phase) => delivered.push({ phase, tick }) });
    clock.start();
    const t0 = 1000;
    const seen = new Map<string, ClockTick[]>();
    const unsubscribe = new Map<string, () => void>();
    const join = (name: string, phase: number) => {
      const ticks: ClockTick[] = [];
      seen.set(name, ticks);
      unsubscribe.set(
        name,
        clock.phase(phase).subscribe((t) => ticks.push(t)),
      );
    };
    join('a', 0);
    join('b', 7);
    join('c', 19);
    // Ten simulated minutes; a call joins or leaves every 3 s.
    for (let s = 0; s < 600; s += 3) {
      timers.advance(t0 + s * 1000);
      const name = `x${s}`;
      join(name, s % 20);
      const leaving = `x${s - 30}`;
      unsubscribe.get(leaving)?.();
    }
    timers.advance(t0 + 600_000);
    expect(clock.stats.missed).toBe(0);
    for (const [name, ticks] of seen) {
      expect(ticks.length, name).toBeGreaterThan(0);
      const phase = name === 'a' ? 0 : name === 'b' ? 7 : name === 'c' ? 19 : Number(name.slice(1)) % 20;
      // On the grid of its phase (start + phase offset + index × 20 ms), consecutive, never early.
      const off = ticks.filter(
        (t, i) =>
          Math.abs(t.scheduledAt - (t0 + phase + 20 * t.index)) > 1e-9 ||
          (i > 0 && t.index !== ticks[i - 1]!.index + 1) ||
          t.firedAt < t.scheduledAt,
      );
      expect(off, name).toEqual([]);
    }
    // A call up for the whole run got every tick of its phase: ticks 0 … 30 000 in ten minutes.
    expect(seen.get('a')!.length).toBe(30_001);
    // The clock ticked every phase, 50 times a second each.
    const perPhase = Array.from({ length: 20 }, (_, p) => delivered.filter((d) => d.phase === p).length);
    expect(Math.max(...perPhase) - Math.min(...perPhase)).toBeLessThanOrEqual(1);
    void clock.close();
  });

  it('puts each leg it does not dial itself on the next phase in turn', () => {
    const timers = simulatedTimers();
    const clock = new PhasedClock({ phases: 4, ...timers });
    const spread = clock.spread();
    for (let i = 0; i < 10; i++) spread.subscribe(() => undefined);
    expect(clock.listenerCounts()).toEqual([3, 3, 2, 2]);
  });
});
