/**
 * Promises that resolve when a recorded state satisfies a condition. The owner calls `notify()` after every change;
 * waiters re-check then, so nothing polls or sleeps. A waiter that is never satisfied rejects after its timeout
 * with a message naming what it waited for, or when the owner closes.
 */
export class ConditionWaiters {
  readonly #waiters = new Set<{ check: () => boolean; fail: (err: Error) => void }>();
  #closedReason: string | undefined;

  /** Resolves with the first non-undefined value `probe` returns. */
  until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    if (this.#closedReason !== undefined) {
      return Promise.reject(new Error(`gave up waiting for ${what}: ${this.#closedReason}`));
    }
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        check: (): boolean => {
          const value = probe();
          if (value === undefined) return false;
          done();
          resolve(value);
          return true;
        },
        fail: (err: Error): void => {
          done();
          reject(err);
        },
      };
      const timer = setTimeout(
        () => waiter.fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
    });
  }

  /** Re-checks every waiter; call after each state change. */
  notify(): void {
    for (const waiter of [...this.#waiters]) waiter.check();
  }

  /** Re-checks once more, then rejects the remaining waiters. Later `until` calls fail unless already satisfied. */
  // Stays synchronous: it rejects pending waiters (a settle step of the agent's close()), no resource to release.
  close(reason: string): void {
    this.notify();
    this.#closedReason = reason;
    for (const waiter of [...this.#waiters]) waiter.fail(new Error(`gave up waiting: ${reason}`));
  }
}
