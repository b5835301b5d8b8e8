/**
 * The load generator's media clock: the 20 ms period split into `phases` evenly spaced phases, each with its own
 * drift-free timer chain (tick n of phase p is due at `start + p × period / phases + n × period`). A simulated call
 * subscribes to one phase, so the calls send on independent phases spread over the period, as real Asterisk channels
 * do, instead of all at once; `phases: 1` is the aligned worst case (every call in the same phase). One timer per
 * phase, not per call.
 */
import type { ClockTick } from '../../src/audio/media-clock.js';
import type { FrameTicker } from '../../src/simulator/audiosocket-dialer.js';

/** Most phases the generator uses: Node's timers have a 1 ms resolution, so 20 phases are 1 ms apart. */
export const MAX_PHASES = 20;

export interface PhasedClockOptions {
  /** Number of phases, 1 (aligned) … {@link MAX_PHASES}. */
  readonly phases: number;
  /** Default 20 ms. */
  readonly periodMs?: number;
  /** Monotonic ms; `performance.now` by default. */
  readonly now?: () => number;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
  /** Overdue ticks of a phase still delivered back to back after a stall; beyond that they are skipped. Default 5. */
  readonly maxCatchUpTicks?: number;
  /** Called for every tick delivered (before its listeners), with its phase: the generator's self-check. */
  readonly onTick?: (tick: ClockTick, phase: number) => void;
}

/** Checks a phase count: a whole number from 1 to {@link MAX_PHASES}. */
export function checkPhases(phases: number): number {
  if (!Number.isInteger(phases) || phases < 1 || phases > MAX_PHASES)
    throw new RangeError(`phases must be a whole number from 1 to ${MAX_PHASES}, not ${phases}`);
  return phases;
}

/** Offset of phase `p` within the period, ms. */
export function phaseOffsetMs(p: number, phases: number, periodMs = 20): number {
  return (p * periodMs) / phases;
}

interface Phase {
  readonly offsetMs: number;
  readonly listeners: Set<(tick: ClockTick) => void>;
  timer: unknown;
  next: number;
}

export class PhasedClock {
  readonly phases: number;
  readonly periodMs: number;
  /**
   * Ticks delivered, skipped after stalls, delivered more than one period late (all phases), and listeners that threw
   * (the clock carries on).
   */
  readonly stats = { ticks: 0, missed: 0, late: 0, listenerErrors: 0 };
  readonly #now: () => number;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  readonly #maxCatchUp: number;
  readonly #onTick: ((tick: ClockTick, phase: number) => void) | undefined;
  readonly #phases: Phase[];
  #running = false;
  #startAt = 0;
  #spreadNext = 0;

  constructor(options: PhasedClockOptions) {
    this.phases = checkPhases(options.phases);
    this.periodMs = options.periodMs ?? 20;
    this.#now = options.now ?? (() => performance.now());
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
    this.#maxCatchUp = options.maxCatchUpTicks ?? 5;
    this.#onTick = options.onTick;
    this.#phases = Array.from({ length: this.phases }, (_, p) => ({
      offsetMs: phaseOffsetMs(p, this.phases, this.periodMs),
      listeners: new Set<(tick: ClockTick) => void>(),
      timer: undefined,
      next: 0,
    }));
  }

  /** The ticker of phase `p` (0 … phases − 1; any integer is taken modulo the phase count). */
  phase(p: number): FrameTicker {
    const phase = this.#phases[((p % this.phases) + this.phases) % this.phases]!;
    return {
      subscribe: (listener) => {
        phase.listeners.add(listener);
        return () => {
          phase.listeners.delete(listener);
        };
      },
    };
  }

  /** A ticker that puts each new subscriber on the next phase in turn (for legs the generator does not dial itself). */
  spread(): FrameTicker {
    return { subscribe: (listener) => this.phase(this.#spreadNext++).subscribe(listener) };
  }

  /** Listeners per phase (for tests and the report). */
  listenerCounts(): number[] {
    return this.#phases.map((p) => p.listeners.size);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startAt = this.#now();
    for (const p of this.#phases) {
      p.next = 0;
      this.#schedule(p);
    }
  }

  /** Stops every phase and drops the listeners. Idempotent. */
  close(): Promise<void> {
    this.#running = false;
    for (const p of this.#phases) {
      if (p.timer !== undefined) this.#clearTimer(p.timer);
      p.timer = undefined;
      p.listeners.clear();
    }
    return Promise.resolve();
  }

  #dueAt(p: Phase, index: number): number {
    return this.#startAt + p.offsetMs + index * this.periodMs;
  }

  #schedule(p: Phase): void {
    if (!this.#running) return;
    p.timer = this.#setTimer(() => this.#fire(p), Math.max(0, this.#dueAt(p, p.next) - this.#now()));
  }

  #fire(p: Phase): void {
    p.timer = undefined;
    if (!this.#running) return;
    const phaseIndex = this.#phases.indexOf(p);
    const dueIndex = Math.floor((this.#now() - this.#startAt - p.offsetMs) / this.periodMs);
    let missed = 0;
    if (dueIndex - p.next > this.#maxCatchUp) {
      missed = dueIndex - p.next - this.#maxCatchUp;
      p.next += missed;
      this.stats.missed += missed;
    }
    while (this.#running && p.next <= dueIndex) {
      const index = p.next++;
      const scheduledAt = this.#dueAt(p, index);
      const firedAt = this.#now();
      if (firedAt - scheduledAt > this.periodMs) this.stats.late += 1;
      this.stats.ticks += 1;
      const tick: ClockTick = { index, scheduledAt, firedAt, missed };
      missed = 0;
      this.#onTick?.(tick, phaseIndex);
      for (const listener of p.listeners) {
        try {
          listener(tick);
        } catch {
          this.stats.listenerErrors += 1;
        }
      }
    }
    this.#schedule(p);
  }
}
