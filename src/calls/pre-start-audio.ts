/**
 * Caller audio (whole 20 ms frames) held while the agent is still connecting. Bounded to `limitMs`: beyond it the
 * oldest frame is dropped (the caller's newest words matter most once the agent is there).
 */
export class PreStartAudio {
  #frames: Buffer[] = [];
  readonly #limit: number;

  constructor(limitMs = 2000) {
    this.#limit = Math.max(1, Math.round(limitMs / 20));
  }

  /** Holds a frame; returns how many old frames were dropped for it (0 or 1). */
  hold(frame: Buffer): number {
    this.#frames.push(frame);
    let dropped = 0;
    while (this.#frames.length > this.#limit) {
      this.#frames.shift();
      dropped += 1;
    }
    return dropped;
  }

  /** Hands over what is held and empties the buffer. */
  take(): Buffer[] {
    const frames = this.#frames;
    this.#frames = [];
    return frames;
  }
}
