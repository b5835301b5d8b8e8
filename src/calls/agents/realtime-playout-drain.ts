/**
 * Whether model audio is still queued for the caller, and waits for the moment it is all played (the built-in
 * `hangup` and `transfer` act only then, so the caller hears the goodbye). Audio queued sets it busy; the
 * bridge's `playoutDrained` notice or a flush clears it. A wait also needs `idle()` (no response in progress) and
 * ends after `timeoutMs` at the latest.
 */
export class PlayoutDrain {
  readonly #idle: () => boolean;
  readonly #timeoutMs: number;
  readonly #waiters = new Set<() => void>();
  #busy = false;

  constructor(idle: () => boolean, timeoutMs: number) {
    this.#idle = idle;
    this.#timeoutMs = timeoutMs;
  }

  /** Model audio was queued for playout. */
  queued(): void {
    this.#busy = true;
  }

  /** Playout is empty (played out or flushed); releases waiters when nothing else is in progress. */
  drained(): void {
    this.#busy = false;
    this.check();
  }

  /** Re-checks after a response finished. */
  check(): void {
    if (this.#busy || !this.#idle()) return;
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves once everything queued has been played and no response is in progress, or after the time limit. */
  wait(): Promise<void> {
    if (!this.#busy && this.#idle()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.#timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** Releases every waiter (the call is ending). */
  releaseAll(): void {
    for (const w of [...this.#waiters]) w();
  }
}
