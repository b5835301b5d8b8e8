import { describe, expect, it } from 'vitest';
import { type ClockTick, MediaClock } from '../../../src/audio/media-clock.js';
import { fakeTime, seededRandom } from '../../support/fake-time.js';

const START = 1000;

function phasedClock(phases: number, t = fakeTime(START), maxCatchUpTicks = 2) {
  let timers = 0;
  const clock = new MediaClock({
    phases,
    now: t.now,
    setTimer: (fn, ms) => {
      timers += 1;
      return t.setTimer(fn, ms);
    },
    clearTimer: t.clearTimer,
    maxCatchUpTicks,
  });
  return { t, clock, timers: () => timers };
}

/** A call's downlink writer: checks every tick it gets against its own 20 ms grid as it arrives. */
class GridCall {
  first: ClockTick | undefined;
  last: ClockTick | undefined;
  ticks = 0;
  readonly errors: string[] = [];
  unsubscribe: () => void = () => {};

  constructor(
    readonly name: string,
    readonly phases: number,
  ) {}

  readonly onTick = (tick: ClockTick): void => {
    this.ticks += 1;
    if (this.first === undefined) this.first = tick;
    const first = this.first;
    const last = this.last;
    this.last = tick;
    const fail = (what: string) => {
      if (this.errors.length < 5) this.errors.push(`${this.name} tick ${tick.index}: ${what}`);
    };
    if (tick.phase !== first.phase) fail(`phase ${tick.phase}, joined on ${first.phase}`);
    // Exact: the grid of this call is start + phase × 20 / phases + n × 20, with no error accumulated.
    if (tick.scheduledAt !== START + (tick.phase * 20) / this.phases + tick.index * 20)
      fail(`scheduled at ${tick.scheduledAt}`);
    if (tick.scheduledAt - first.scheduledAt !== (tick.index - first.index) * 20) fail('off its first tick grid');
    if (last && tick.index !== last.index + 1) fail(`follows ${last.index}`);
    if (tick.missed !== 0) fail(`missed ${tick.missed}`);
    if (tick.firedAt < tick.scheduledAt) fail(`fired ${tick.scheduledAt - tick.firedAt} ms early`);
  };
}

describe('MediaClock phases', () => {
  it('keeps every call on its exact 20 ms grid for an hour of jittery timers, calls joining and leaving', () => {
    const phases = 4;
    const { t, clock } = phasedClock(phases);
    const random = seededRandom(11);
    const live: GridCall[] = [];
    const all: GridCall[] = [];
    let made = 0;
    const join = () => {
      const loadBefore = clock.phaseLoad;
      const call = new GridCall(`call-${made++}`, phases);
      call.unsubscribe = clock.subscribe(call.onTick, { spread: true });
      live.push(call);
      all.push(call);
      // The new call took a least-loaded phase.
      const phase = clock.phaseLoad.findIndex((n, p) => n !== loadBefore[p]);
      expect(loadBefore[phase]).toBe(Math.min(...loadBefore));
      return call;
    };
    const leave = (i: number) => {
      const [call] = live.splice(i, 1);
      call!.unsubscribe();
    };
    for (let i = 0; i < 20; i++) join();
    clock.start();
    const spread: number[] = [];
    // Wake-ups: how many calls each sub-tick served, against how many calls were live.
    const served = new Map<number, number>();
    clock.subscribe((tick) => served.set(tick.index, 0));
    const hourMs = 3_600_000;
    for (let second = 0; second < hourMs / 1000; second++) {
      t.advance(1000, () => random() * 4); // each timer fires up to 4 ms late
      const r = random();
      if (r < 0.3 && live.length < 40) join();
      else if (r < 0.6 && live.length > 8) leave(Math.floor(random() * live.length));
      spread.push(Math.max(...clock.phaseLoad) - Math.min(...clock.phaseLoad));
    }
    clock.stop();
    expect(made).toBeGreaterThan(1000);
    expect(all.flatMap((c) => c.errors)).toEqual([]);
    // Every call was served once per period for as long as it was subscribed: no tick lost, none doubled.
    for (const call of all) {
      expect(call.ticks).toBe(call.last!.index - call.first!.index + 1);
    }
    // The first 20 calls filled the four phases evenly.
    expect(all.slice(0, 20).map((c) => c.first!.phase)).toEqual(Array.from({ length: 20 }, (_, i) => i % 4));
    expect(all.filter((c) => c.first !== undefined).length).toBe(all.length);
    expect(clock.stats.missed).toBe(0);
    expect(clock.stats.ticks).toBe(hourMs / 20 + 1);
    expect(served.size).toBe(hourMs / 20 + 1);
    // Joins fill the emptiest phase, so leaving calls never unbalance the phases by more than a few calls.
    expect(Math.max(...spread)).toBeLessThanOrEqual(6);
  });

  it('serves each phase in its own wake-up, interval / phases apart, so no wake-up writes to every call', () => {
    const { t, clock } = phasedClock(4);
    const wakeups: { at: number; phase: number; calls: string[] }[] = [];
    const calls = Array.from({ length: 20 }, (_, i) => `call-${i}`);
    for (const name of calls) {
      clock.subscribe(
        (tick) => {
          const last = wakeups.at(-1);
          if (last && last.at === tick.firedAt && last.phase === tick.phase) last.calls.push(name);
          else wakeups.push({ at: tick.firedAt, phase: tick.phase, calls: [name] });
        },
        { spread: true },
      );
    }
    clock.start();
    t.advance(200);
    clock.stop();
    expect(clock.phaseLoad).toEqual([5, 5, 5, 5]);
    // 11 periods (0 … 200 ms) of 4 wake-ups, each serving 5 of the 20 calls, 5 ms apart.
    expect(wakeups.length).toBe(41);
    expect(wakeups.every((w) => w.calls.length === 5)).toBe(true);
    expect(wakeups.slice(0, 5).map((w) => [w.at - START, w.phase])).toEqual([
      [0, 0],
      [5, 1],
      [10, 2],
      [15, 3],
      [20, 0],
    ]);
    // Each call is on one phase only.
    for (const name of calls)
      expect(new Set(wakeups.filter((w) => w.calls.includes(name)).map((w) => w.phase)).size).toBe(1);
  });

  it('gives a leaving call’s slot to the next call that joins', () => {
    const { clock } = phasedClock(4);
    const offs = Array.from({ length: 8 }, () => clock.subscribe(() => {}, { spread: true }));
    expect(clock.phaseLoad).toEqual([2, 2, 2, 2]);
    offs[2]!(); // phase 2
    offs[6]!(); // phase 2
    offs[6]!(); // idempotent
    expect(clock.phaseLoad).toEqual([2, 2, 0, 2]);
    const seen: number[] = [];
    clock.subscribe((tick) => seen.push(tick.phase), { spread: true });
    clock.subscribe((tick) => seen.push(tick.phase), { spread: true });
    expect(clock.phaseLoad).toEqual([2, 2, 2, 2]);
    // Listeners without `spread` stay on phase 0 and do not count as load.
    clock.subscribe(() => {});
    expect(clock.phaseLoad).toEqual([2, 2, 2, 2]);
    expect(clock.listenerCount).toBe(9);
  });

  it('catches up per phase after a short stall and skips, reporting it, after a long one; the grid is kept', () => {
    const { t, clock } = phasedClock(4);
    const got: ClockTick[][] = [[], [], [], []];
    for (const g of got) clock.subscribe((tick) => g.push(tick), { spread: true });
    clock.start();
    t.advance(100); // ticks 0…5 of phase 0 (at 0…100), 0…4 of the others
    t.stall(45); // now 145: phases 0 and 1 are due up to tick 7 (140, 145), phases 2 and 3 up to tick 6 (130, 135)
    t.advance(0);
    expect(got.map((g) => g.map((x) => x.index))).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3, 4, 5, 6],
      [0, 1, 2, 3, 4, 5, 6],
    ]);
    expect(got.flat().every((x) => x.missed === 0)).toBe(true);
    t.stall(1000); // now 1145 ms after start: about 50 periods overdue
    t.advance(0);
    // Each phase: at most maxCatchUp + 1 ticks in the burst, the first carrying how many were skipped.
    for (const [p, g] of got.entries()) {
      const burst = g.filter((x) => x.firedAt === t.now());
      // Due now: tick 57 of phases 0 and 1 (1140, 1145 ms), tick 56 of phases 2 and 3 (1130, 1135 ms).
      const newest = p <= 1 ? 57 : 56;
      expect(burst.map((x) => x.index)).toEqual([newest - 2, newest - 1, newest]);
      const before = g[g.length - burst.length - 1]!;
      expect(burst[0]!.missed).toBe(burst[0]!.index - before.index - 1);
      for (const x of g) expect(x.scheduledAt).toBe(START + x.index * 20 + p * 5);
    }
    expect(clock.stats.missed).toBe(got[0]!.filter((x) => x.missed > 0)[0]!.missed);
    clock.stop();
  });

  it('wakes only for phase 0 and the phases that have listeners', () => {
    const { t, clock, timers } = phasedClock(5);
    clock.subscribe(() => {});
    clock.start();
    t.advance(1000);
    expect(timers()).toBe(52); // one per period: 51 fired (0 … 1000 ms), the next one set
    const off = clock.subscribe(() => {}, { spread: true }); // the least-loaded phase: 0
    clock.subscribe(() => {}, { spread: true }); // phase 1
    const before = timers();
    t.advance(1000);
    expect(timers() - before).toBe(99); // phase 0 at 1020 … 2000 ms, phase 1 at 1024 … 1984 ms
    off();
    clock.stop();
  });

  it('refuses a phase count outside 1…10', () => {
    for (const phases of [0, 11, 2.5, Number.NaN]) expect(() => new MediaClock({ phases })).toThrow(RangeError);
    expect(new MediaClock({ phases: 10 }).phases).toBe(10);
  });
});
