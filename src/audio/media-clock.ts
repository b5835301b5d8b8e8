/** One tick of the media clock. Times are in milliseconds on the clock's monotonic time base. */
export interface ClockTick {
  /** Tick number since start; consecutive unless ticks were skipped (see `missed`). */
  readonly index: number;
  readonly scheduledAt: number;
  readonly firedAt: number;
  /** Ticks skipped just before this one because the process stalled for longer than `maxCatchUpTicks`. */
  readonly missed: number;
}

export type ClockListener = (tick: ClockTick) => void;

export interface MediaClockOptions {
  intervalMs?: number;
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

/**
 * The process-wide 20 ms media clock. Tick n is due at `start + n * interval` on a monotonic time base, so there
 * is no drift however long it runs (no `setTimeout(20)` chains). Every listener gets every tick in order.
 */
export class MediaClock {
  readonly intervalMs: number;
  readonly #now: () => number;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  readonly #maxCatchUp: number;
  readonly #onListenerError: (err: unknown) => void;
  readonly #listeners = new Set<ClockListener>();
  #timer: unknown;
  #running = false;
  #closed = false;
  #startAt = 0;
  #nextIndex = 0;
  /** Counters for metrics: ticks delivered, ticks skipped, ticks that fired more than one interval late. */
  readonly stats = { ticks: 0, missed: 0, late: 0 };

  constructor(options: MediaClockOptions = {}) {
    this.intervalMs = options.intervalMs ?? 20;
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
    return this.#listeners.size;
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: ClockListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Starts (or restarts after `stop()`) the clock; does nothing once `close()` was called. */
  start(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    this.#startAt = this.#now();
    this.#nextIndex = 0;
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
    this.#listeners.clear();
    return Promise.resolve();
  }

  #dueAt(index: number): number {
    return this.#startAt + index * this.intervalMs;
  }

  #schedule(): void {
    if (!this.#running) return;
    const delay = Math.max(0, this.#dueAt(this.#nextIndex) - this.#now());
    this.#timer = this.#setTimer(() => this.#onTimer(), delay);
  }

  #onTimer(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.#now();
    // Index of the newest tick that is due now.
    const dueIndex = Math.floor((now - this.#startAt) / this.intervalMs);
    let missed = 0;
    if (dueIndex - this.#nextIndex > this.#maxCatchUp) {
      missed = dueIndex - this.#nextIndex - this.#maxCatchUp;
      this.#nextIndex += missed;
      this.stats.missed += missed;
    }
    while (this.#running && this.#nextIndex <= dueIndex) {
      const index = this.#nextIndex++;
      const scheduledAt = this.#dueAt(index);
      const firedAt = this.#now();
      if (firedAt - scheduledAt > this.intervalMs) this.stats.late += 1;
      this.stats.ticks += 1;
      const tick: ClockTick = { index, scheduledAt, firedAt, missed };
      missed = 0;
      for (const listener of this.#listeners) {
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
