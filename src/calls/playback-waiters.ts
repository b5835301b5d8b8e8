/** Waits for playbacks to finish: resolved by their `PlaybackFinished`, or after a time limit. */
export class PlaybackWaiters {
  readonly #waiters = new Map<string, () => void>();

  /** Resolves on the playback's `finished` call, or after `timeoutMs`; never rejects. */
  wait(playbackId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(playbackId);
        resolve();
      }, timeoutMs);
      this.#waiters.set(playbackId, () => {
        clearTimeout(timer);
        this.#waiters.delete(playbackId);
        resolve();
      });
    });
  }

  /** A `PlaybackFinished` arrived. */
  finished(playbackId: string): void {
    this.#waiters.get(playbackId)?.();
  }
}
