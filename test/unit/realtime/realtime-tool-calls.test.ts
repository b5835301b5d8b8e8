import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type FunctionCallInfo,
  type FunctionCallOutcome,
  ToolCallCoordinator,
} from '../../../src/calls/agents/realtime-tool-calls.js';
import {
  InProcessToolInvoker,
  type ToolInvoker,
  toolOutputText,
} from '../../../src/calls/agents/realtime-tool-invoker.js';
import type { ToolResultWaiters } from '../../../src/jobs/tool-result-waiters.js';

interface Harness {
  c: ToolCallCoordinator;
  log: string[];
  runs: FunctionCallInfo[];
  finish(callId: string, outcome?: Partial<FunctionCallOutcome>): void;
  live: { value: boolean };
}

function harness(opts: { fillerDelayMs?: number; fillers?: Record<string, string> } = {}): Harness {
  const log: string[] = [];
  const runs: FunctionCallInfo[] = [];
  const pending = new Map<string, (o: FunctionCallOutcome) => void>();
  const live = { value: true };
  const c = new ToolCallCoordinator({
    run: (call) => {
      runs.push(call);
      return new Promise((resolve) => pending.set(call.callId, resolve));
    },
    sendOutput: (callId, output) => {
      if (!live.value) return false;
      log.push(`output ${callId} ${output}`);
      return true;
    },
    requestResponse: () => log.push('response.create'),
    sayFiller: (text) => log.push(`filler ${text}`),
    fillerFor: (name) => opts.fillers?.[name],
    fillerDelayMs: opts.fillerDelayMs ?? 0,
    logger: pino({ level: 'silent' }),
  });
  return {
    c,
    log,
    runs,
    live,
    finish: (callId, o = {}) => pending.get(callId)?.({ output: `out-${callId}`, respond: true, ...o }),
  };
}

const call = (callId: string, responseId = 'r1', name = 'f'): FunctionCallInfo => ({
  responseId,
  callId,
  name,
  arguments: '{}',
});

const tick = () => new Promise((r) => setImmediate(r));

describe('ToolCallCoordinator', () => {
  afterEach(() => vi.useRealTimers());

  it('runs a call once however often it is reported', async () => {
    const h = harness();
    expect(h.c.onFunctionCall(call('c1'))).toBe(true);
    expect(h.c.onFunctionCall(call('c1'))).toBe(false);
    expect(h.c.onFunctionCall(call('c1', 'r2'))).toBe(false);
    expect(h.runs).toHaveLength(1);
    expect(h.c.callCount).toBe(1);
  });

  it('holds an output ready before the parent response.done, then sends it and asks for one response', async () => {
    const h = harness();
    h.c.onFunctionCall(call('c1'));
    h.finish('c1');
    await tick();
    expect(h.log).toEqual([]);
    h.c.onResponseDone('r1');
    expect(h.log).toEqual(['output c1 out-c1', 'response.create']);
  });

  it('asks for one response once every call of the response has its output', async () => {
    const h = harness();
    h.c.onFunctionCall(call('a'));
    h.c.onFunctionCall(call('b'));
    h.c.onResponseDone('r1');
    h.finish('b');
    await tick();
    expect(h.log).toEqual(['output b out-b']);
    h.finish('a');
    await tick();
    expect(h.log).toEqual(['output b out-b', 'output a out-a', 'response.create']);
  });

  it('sends no response.create when no outcome asks for one (hangup)', async () => {
    const h = harness();
    h.c.onFunctionCall(call('h'));
    h.c.onResponseDone('r1');
    h.finish('h', { respond: false });
    await tick();
    expect(h.log).toEqual(['output h out-h']);
  });

  it('keeps outputs while no session is live and sends them after a replay', async () => {
    const h = harness();
    h.c.onFunctionCall(call('c1'));
    h.live.value = false;
    h.finish('c1');
    await tick();
    expect(h.log).toEqual([]);
    h.live.value = true;
    h.c.onReplayed();
    expect(h.log).toEqual(['output c1 out-c1', 'response.create']);
  });

  it('says the filler when the result is not back in time after response.done, not when it is', async () => {
    vi.useFakeTimers();
    const h = harness({ fillerDelayMs: 500, fillers: { slow: 'One moment.', fast: 'Wait.' } });
    h.c.onFunctionCall(call('s', 'r1', 'slow'));
    h.c.onResponseDone('r1');
    await vi.advanceTimersByTimeAsync(499);
    expect(h.log).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.log).toEqual(['filler One moment.']);
    h.c.onFunctionCall(call('f', 'r2', 'fast'));
    h.c.onResponseDone('r2');
    h.finish('f');
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.log).toEqual(['filler One moment.', 'output f out-f', 'response.create']);
    await h.c.close();
  });

  it('close() is async and idempotent: no filler and no output after it', async () => {
    vi.useFakeTimers();
    const h = harness({ fillerDelayMs: 500, fillers: { slow: 'One moment.' } });
    h.c.onFunctionCall(call('s', 'r1', 'slow'));
    h.c.onResponseDone('r1');
    const first = h.c.close();
    expect(first).toBeInstanceOf(Promise);
    await Promise.all([first, h.c.close()]);
    h.finish('s');
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.log).toEqual([]);
  });
});

describe('tool invokers', () => {
  it('in-process: runs once per (call, tool call), reports failures and unknown tools as outcomes', async () => {
    let runs = 0;
    const inv = new InProcessToolInvoker({
      handlers: {
        add: (a) => {
          runs += 1;
          const { x, y } = a as { x: number; y: number };
          return { sum: x + y };
        },
        boom: () => {
          throw new Error('kaput');
        },
      },
    });
    const signal = new AbortController().signal;
    const [r1, r2] = await Promise.all([
      inv.invoke('call', 't1', 'add', { x: 1, y: 2 }, signal),
      inv.invoke('call', 't1', 'add', { x: 1, y: 2 }, signal),
    ]);
    expect(r1).toEqual({ status: 'succeeded', output: { sum: 3 } });
    expect(r2).toBe(r1);
    expect(runs).toBe(1);
    expect(inv.runs.get('call:t1')).toBe(1);
    expect(await inv.invoke('call', 't2', 'boom', {}, signal)).toEqual({
      status: 'failed',
      error: { code: 'TOOL_FAILED', message: 'kaput' },
    });
    expect(await inv.invoke('call', 't3', 'nope', {}, signal)).toMatchObject({
      status: 'failed',
      error: { code: 'TOOL_UNKNOWN' },
    });
    expect(toolOutputText({ status: 'timed_out', error: { code: 'TOOL_TIMEOUT', message: 'slow' } })).toBe(
      '{"error":{"status":"timed_out","code":"TOOL_TIMEOUT","message":"slow"}}',
    );
  });

  it("the job layer's ToolResultWaiters is a ToolInvoker as it is", () => {
    const asInvoker = (w: ToolResultWaiters): ToolInvoker => w;
    expect(typeof asInvoker).toBe('function');
  });
});
