import { describe, expect, it } from 'vitest';
import { timedToolInvoker } from '../../../src/jobs/timed-tool-invoker.js';
import type { ToolCallResult } from '../../../src/jobs/tool-call-types.js';

describe('timedToolInvoker', () => {
  it('passes the call through and tells the outcome: the status of a result, error when it throws', async () => {
    const outcomes: string[] = [];
    const result = { status: 'ok', output: { n: 1 } } as unknown as ToolCallResult;
    let fail = false;
    const invoker = timedToolInvoker(
      () => ({
        invoke: async (callId, toolCallId, name) => {
          if (fail) throw new Error(`${callId}/${toolCallId}/${name} failed`);
          return result;
        },
      }),
      (seconds, outcome) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        outcomes.push(outcome);
      },
    );
    const signal = new AbortController().signal;
    await expect(invoker.invoke('c1', 't1', 'lookup', {}, signal)).resolves.toBe(result);
    fail = true;
    await expect(invoker.invoke('c1', 't2', 'lookup', {}, signal)).rejects.toThrow('c1/t2/lookup failed');
    expect(outcomes).toEqual(['ok', 'error']);
  });
});
