import type { ToolResultWaiters } from './tool-result-waiters.js';

type Invoke = ToolResultWaiters['invoke'];

/**
 * Agents' tool calls through `waiters()` (asked per call: the waiters may be built later), each timed and told to
 * `finished` with its outcome: the result's status, or `error` when the call threw.
 */
export function timedToolInvoker(
  waiters: () => { invoke: Invoke },
  finished: (seconds: number, outcome: string) => void,
): { invoke: Invoke } {
  return {
    invoke: async (...args: Parameters<Invoke>) => {
      const started = performance.now();
      try {
        const result = await waiters().invoke(...args);
        finished((performance.now() - started) / 1000, result.status);
        return result;
      } catch (err) {
        finished((performance.now() - started) / 1000, 'error');
        throw err;
      }
    },
  };
}
