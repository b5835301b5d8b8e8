/**
 * Memoises an async close/teardown so every caller awaits the same run, and the run happens once.
 * Used by every long-lived object's `close()`.
 */
export function onceAsync<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let pending: Promise<R> | undefined;
  return (...args: A) => {
    pending ??= fn(...args);
    return pending;
  };
}

/** Runs cleanup steps in order; a failing step does not skip the rest. Returns the errors that occurred. */
export async function runCleanups(steps: ReadonlyArray<() => unknown | Promise<unknown>>): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}

/**
 * Waits for `work` to settle, but at most `ms` (the timer does not keep the process alive). Resolves `true` if it
 * settled in time, `false` otherwise; never rejects. Gives every `close()` that waits on something its bound.
 */
export async function settleWithin(work: PromiseLike<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  const settled = Promise.resolve(work).then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([settled, bound]);
  } finally {
    clearTimeout(timer);
  }
}
