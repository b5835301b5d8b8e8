/**
 * Waiting in tests. Every helper takes its check first, then the timeout, then what is awaited (for the error).
 * - `waitFor`: a synchronous condition polled every 10 ms (state that has no event to await);
 * - `until`: an async check polled every 50 ms until it returns a value (not undefined); an error fails at once;
 * - `eventually`: the same for checks against servers that may be down: false is "not yet" too, and an error is
 *   "not yet" (the last one becomes the timeout error's cause);
 * - `eventWaiter`: checks re-run whenever the test's event handlers call `notify()` (no polling).
 */

/** Polls `cond` every 10 ms until it holds; rejects after `timeoutMs`. */
export function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (cond()) resolve();
      else if (Date.now() - start > timeoutMs) reject(new Error(`${what} not met within ${timeoutMs} ms`));
      else setTimeout(check, 10);
    };
    check();
  });
}

/** Polls an async check every 50 ms until it returns a value other than undefined; rejects after `timeoutMs`. */
export async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `check` until it returns a value other than undefined/false (errors count as not yet); see the top. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  what = 'condition',
  intervalMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface EventWaiter {
  /** Re-runs every pending check (call it from the event handlers that change the state). */
  notify(): void;
  /**
   * Resolves once `check` holds, tested now and on every `notify()`. With `timeoutMs`, rejects after it with
   * "timed out waiting for <what>"; without, it waits as long as the test runs.
   */
  until(check: () => boolean, timeoutMs?: number, what?: string | (() => string)): Promise<void>;
}

export function eventWaiter(): EventWaiter {
  const waiters: Array<() => void> = [];
  return {
    notify: () => {
      for (const w of waiters.splice(0)) w();
    },
    until: (check, timeoutMs, what = 'condition') =>
      new Promise((resolve, reject) => {
        const timer =
          timeoutMs === undefined
            ? undefined
            : setTimeout(
                () => reject(new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)),
                timeoutMs,
              );
        const test = (): void => {
          if (check()) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(test);
        };
        test();
      }),
  };
}
