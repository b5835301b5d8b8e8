/** Polls `cond` until it holds or the timeout passes (for state that has no event to await). */
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
