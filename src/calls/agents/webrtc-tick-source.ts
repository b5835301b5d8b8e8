import { type ClockListener, MediaClock } from '../../audio/media-clock.js';

/** Something that calls its listeners every 20 ms (the process MediaClock satisfies it). */
export interface TickSource {
  subscribe(listener: ClockListener): () => void;
}

/**
 * A MediaClock that runs only while it has listeners: started by the first `subscribe`, stopped when the last one
 * leaves. For WebRTC agents built without the process clock, so nothing keeps ticking when no call needs it.
 */
export class OnDemandTickSource implements TickSource {
  readonly #clock: MediaClock;

  constructor(clock: MediaClock = new MediaClock()) {
    this.#clock = clock;
  }

  subscribe(listener: ClockListener): () => void {
    const unsubscribe = this.#clock.subscribe(listener);
    if (!this.#clock.running) this.#clock.start();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      unsubscribe();
      if (this.#clock.listenerCount === 0) this.#clock.stop();
    };
  }
}
