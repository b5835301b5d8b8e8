import type { ClockTick } from '../../src/audio/media-clock.js';

/** A media clock the test ticks by hand: tick n is scheduled and fired at n × 20 ms, never missed. One listener. */
export class ManualClock {
  #listener: ((tick: ClockTick) => void) | undefined;
  #n = 0;
  subscribe(listener: (tick: ClockTick) => void): () => void {
    this.#listener = listener;
    return () => {
      this.#listener = undefined;
    };
  }
  tick(times = 1): void {
    for (let i = 0; i < times; i++) {
      this.#n += 1;
      this.#listener?.({ index: this.#n, phase: 0, scheduledAt: this.#n * 20, firedAt: this.#n * 20, missed: 0 });
    }
  }
}
