/**
 * A manual monotonic time base and timer queue for a MediaClock (its `now`, `setTimer` and `clearTimer` options):
 * time only moves when the test says so.
 */
export function fakeTime(start = 1000) {
  let now = start;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimer: (h: unknown) => {
      timers = timers.filter((t) => t.id !== h);
    },
    /** Advances time, firing due timers in order; `jitter` returns extra lateness per timer. */
    advance(ms: number, jitter: () => number = () => 0) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const t = timers[0];
        if (!t || t.at > end) break;
        timers.shift();
        now = Math.min(end, Math.max(now, t.at + jitter()));
        t.fn();
      }
      now = end;
    },
    /** Moves time on without firing any timer (the process stalled). */
    stall(ms: number) {
      now += ms;
    },
    pending: () => timers.length,
  };
}

/** A deterministic pseudo-random source in [0, 1) (a linear congruential generator), for reproducible jitter. */
export function seededRandom(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}
