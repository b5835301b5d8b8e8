/** One tick of the media clock. Times are in milliseconds on the clock's monotonic time base. */
export interface ClockTick {
  /** Tick number since start; consecutive unless ticks were skipped (see `missed`). */
  readonly index: number;
  /** Phase of the period this tick serves (0 … phases − 1); its listeners' grid is offset by `phase × interval / phases`. */
  readonly phase: number;
  /** When the tick was due: `start + index × interval + phase × interval / phases`. */
  readonly scheduledAt: number;
  readonly firedAt: number;
  /** Ticks skipped just before this one because the process stalled for longer than `maxCatchUpTicks`. */
  readonly missed: number;
}

export type ClockListener = (tick: ClockTick) => void;

/** How a listener is placed in the period. */
export interface ClockSubscribeOptions {
  /**
   * Serve the listener on the least-loaded phase (a call's downlink writer), so that one wake-up serves only its
   * share of the calls. Default false: phase 0, where the period starts (work that is not per-frame socket output).
   */
  readonly spread?: boolean;
}

export interface MediaClockOptions {
  intervalMs?: number;
  /**
   * Sub-ticks the period is split into (1 … 10). Listeners subscribed with `spread` are each served on one phase,
   * `phase × interval / phases` after the period starts, always the same one; default 1 (every listener at once).
   */
  phases?: number;
  /** Monotonic milliseconds; `performance.now` by default. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /**
   * After a stall, up to this many overdue ticks are still delivered back to back so listeners keep their frame
   * count; a longer stall skips the rest (reported in `missed`) instead of sending a burst. Default 2.
   */
  maxCatchUpTicks?: number;
  /** Called when a listener throws; the clock itself keeps running. */
  onListenerError?: (err: unknown) => void;
}

/** Most phases a period may be split into (a 20 ms period: 2 ms apart). */
export const MAX_CLOCK_PHASES = 10;

/**
 * The process-wide 20 ms media clock. Tick n is due at `start + n * interval` on a monotonic time base, so there
 * is no drift however long it runs (no `setTimeout(20)` chains). Every listener gets every tick in order.
 *
 * Phases: with `phases` P > 1, the period is served in P sub-ticks. A listener subscribed with `spread` joins the
 * phase that has the fewest such listeners and stays on it until it unsubscribes (which frees its slot), so its ticks
 * fall on its own exact grid `start + p × interval / P + n × interval`, and one wake-up writes to about 1/P of the
 * calls instead of all of them at once. Other listeners are served on phase 0. Catch-up after a stall works per
 * phase exactly as with one phase: at most `maxCatchUpTicks` overdue ticks are delivered, the rest are skipped.
 */
export class MediaClock {
  readonly intervalMs: number;
  readonly phases: number;
  readonly #now: () => number;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  readonly #maxCatchUp: number;
  readonly #onListenerError: (err: unknown) => void;
  /** Listeners of each phase, in subscription order. */
  readonly #byPhase: Set<ClockListener>[];
  /** Listeners placed with `spread`, per phase: the load that picks a new listener's phase. */
  readonly #spreadLoad: number[];
  /** Ticks skipped per phase and not yet reported in a tick's `missed`. */
  readonly #missedByPhase: number[];
  #timer: unknown;
  #running = false;
  #closed = false;
  #startAt = 0;
  /** Next sub-tick to deliver: sub-tick s is tick `floor(s / phases)` of phase `s mod phases`. */
  #nextSub = 0;
  /** Counters for metrics: periods delivered, periods skipped, periods whose first sub-tick fired over one interval late. */
  readonly stats = { ticks: 0, missed: 0, late: 0 };

  constructor(options: MediaClockOptions = {}) {
    this.intervalMs = options.intervalMs ?? 20;
    const phases = options.phases ?? 1;
    if (!Number.isInteger(phases) || phases < 1 || phases > MAX_CLOCK_PHASES)
      throw new RangeError(`phases must be an integer in 1..${MAX_CLOCK_PHASES}, got ${phases}`);
    this.phases = phases;
    this.#byPhase = Array.from({ length: phases }, () => new Set<ClockListener>());
    this.#spreadLoad = new Array<number>(phases).fill(0);
    this.#missedByPhase = new Array<number>(phases).fill(0);
    this.#now = options.now ?? (() => performance.now());
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
    this.#maxCatchUp = options.maxCatchUpTicks ?? 2;
    this.#onListenerError = options.onListenerError ?? (() => {});
  }

  get running(): boolean {
    return this.#running;
  }

  get listenerCount(): number {
    let n = 0;
    for (const set of this.#byPhase) n += set.size;
    return n;
  }

  /** Listeners subscribed with `spread` on each phase (index = phase). */
  get phaseLoad(): readonly number[] {
    return [...this.#spreadLoad];
  }

  /** Adds a listener; returns the function that removes it (and frees its phase slot). */
  subscribe(listener: ClockListener, options: ClockSubscribeOptions = {}): () => void {
    const phase = options.spread ? this.#leastLoadedPhase() : 0;
    const set = this.#byPhase[phase] as Set<ClockListener>;
    // The same function twice is one listener, as before phases existed.
    if (set.has(listener)) return () => {};
    set.add(listener);
    if (options.spread) this.#spreadLoad[phase] = (this.#spreadLoad[phase] as number) + 1;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      set.delete(listener);
      if (options.spread) this.#spreadLoad[phase] = (this.#spreadLoad[phase] as number) - 1;
    };
  }

  /** Starts (or restarts after `stop()`) the clock; does nothing once `close()` was called. */
  start(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    this.#startAt = this.#now();
    this.#nextSub = 0;
    this.#missedByPhase.fill(0);
    this.#schedule();
  }

  // Named stop(), not close(): it pauses a clock that start() may run again (OnDemandTickSource); close() ends it.
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** Stops the clock for good and drops its listeners. Idempotent; resolves at once. */
  close(): Promise<void> {
    this.#closed = true;
    this.stop();
    for (const set of this.#byPhase) set.clear();
    this.#spreadLoad.fill(0);
    return Promise.resolve();
  }

  #leastLoadedPhase(): number {
    let best = 0;
    for (let p = 1; p < this.phases; p++)
      if ((this.#spreadLoad[p] as number) < (this.#spreadLoad[best] as number)) best = p;
    return best;
  }

  /** When sub-tick `s` is due. Phase offsets are exact multiples of interval / phases, so each phase's grid is exact. */
  #dueAt(s: number): number {
    const index = Math.floor(s / this.phases);
    const phase = s - index * this.phases;
    return this.#startAt + index * this.intervalMs + (phase * this.intervalMs) / this.phases;
  }

  /** The newest sub-tick due at `now` (−1 before the first). */
  #dueSub(now: number): number {
    const elapsed = now - this.#startAt;
    let s = Math.floor((elapsed * this.phases) / this.intervalMs);
    // Float rounding may put the estimate one off either way; settle it against #dueAt, which is the definition.
    while (s >= 0 && this.#dueAt(s) > now) s -= 1;
    while (this.#dueAt(s + 1) <= now) s += 1;
    return s;
  }

  #schedule(): void {
    if (!this.#running) return;
    // Wake for phase 0 (the period's start) and for phases that have listeners; empty phases cost no wake-up.
    let s = this.#nextSub;
    for (let i = 1; i < this.phases && s % this.phases !== 0 && this.#byPhase[s % this.phases]!.size === 0; i++) s++;
    const delay = Math.max(0, this.#dueAt(s) - this.#now());
    this.#timer = this.#setTimer(() => this.#onTimer(), delay);
  }

  #onTimer(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const phases = this.phases;
    const dueSub = this.#dueSub(this.#now());
    // Each phase keeps at most maxCatchUp overdue ticks besides its newest due one; older sub-ticks are skipped.
    const keepFrom = dueSub - (this.#maxCatchUp + 1) * phases + 1;
    if (keepFrom > this.#nextSub) {
      for (let s = this.#nextSub; s < keepFrom; s++) {
        const p = s % phases;
        // Reported to the phase's listeners with their next tick; a phase nobody listens to has nothing to report.
        if (this.#byPhase[p]!.size > 0) this.#missedByPhase[p] = (this.#missedByPhase[p] as number) + 1;
        if (p === 0) this.stats.missed += 1;
      }
      this.#nextSub = keepFrom;
    }
    while (this.#running && this.#nextSub <= dueSub) {
      const s = this.#nextSub++;
      const index = Math.floor(s / phases);
      const phase = s - index * phases;
      const listeners = this.#byPhase[phase] as Set<ClockListener>;
      const scheduledAt = this.#dueAt(s);
      const firedAt = this.#now();
      if (phase === 0) {
        this.stats.ticks += 1;
        if (firedAt - scheduledAt > this.intervalMs) this.stats.late += 1;
      }
      if (listeners.size === 0) continue;
      const tick: ClockTick = { index, phase, scheduledAt, firedAt, missed: this.#missedByPhase[phase] as number };
      this.#missedByPhase[phase] = 0;
      for (const listener of listeners) {
        try {
          listener(tick);
        } catch (err) {
          this.#onListenerError(err);
        }
      }
    }
    this.#schedule();
  }
}
