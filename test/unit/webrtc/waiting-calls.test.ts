import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { type WaitingCall, WaitingCalls } from '../../../src/calls/agents/waiting-calls.js';

const call = (callId: string, route = 'desk'): WaitingCall => ({
  callId,
  route,
  caller: undefined,
  callee: undefined,
  since: new Date(),
});
const socket = (name: string) => ({ name }) as unknown as WebSocket;

describe('WaitingCalls', () => {
  it('pairs a waiting call with the next agent, and a waiting agent with the next call', async () => {
    const w = new WaitingCalls();
    const signal = new AbortController().signal;
    const forAgent = w.waitForAgent(call('a'), signal);
    expect(w.list().map((c) => c.callId)).toEqual(['a']);
    await expect(w.take(socket('s1'), {}, signal)).resolves.toMatchObject({ callId: 'a' });
    await expect(forAgent).resolves.toEqual({ name: 's1' });
    const taking = w.take(socket('s2'), {}, signal);
    expect(w.waitingAgents).toBe(1);
    await expect(w.waitForAgent(call('b'), signal)).resolves.toEqual({ name: 's2' });
    await expect(taking).resolves.toMatchObject({ callId: 'b' });
    expect(w.waitingAgents).toBe(0);
  });

  it('honours callId and route, oldest first', async () => {
    const w = new WaitingCalls();
    const signal = new AbortController().signal;
    const first = w.waitForAgent(call('1', 'sales'), signal);
    const second = w.waitForAgent(call('2', 'support'), signal);
    const third = w.waitForAgent(call('3', 'support'), signal);
    await expect(w.take(socket('x'), { route: 'support' }, signal)).resolves.toMatchObject({ callId: '2' });
    await expect(w.take(socket('y'), { callId: '3' }, signal)).resolves.toMatchObject({ callId: '3' });
    await expect(w.take(socket('z'), { callId: 'nope' }, signal)).rejects.toMatchObject({
      code: 'WAITING_CALL_NOT_FOUND',
    });
    await expect(second).resolves.toEqual({ name: 'x' });
    await expect(third).resolves.toEqual({ name: 'y' });
    expect(w.list().map((c) => c.callId)).toEqual(['1']);
    void first;
  });

  it('an aborted wait leaves the queue; both queues are bounded', async () => {
    const w = new WaitingCalls({ maxWaitingAgents: 1, maxWaitingCalls: 1 });
    const abort = new AbortController();
    const waiting = w.waitForAgent(call('a'), abort.signal);
    await expect(w.waitForAgent(call('b'), new AbortController().signal)).rejects.toMatchObject({
      code: 'AGENT_QUEUE_FULL',
    });
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'AGENT_CONNECT_TIMEOUT' });
    expect(w.list()).toEqual([]);
    const agentAbort = new AbortController();
    const agent = w.take(socket('s'), { route: 'other' }, agentAbort.signal);
    await expect(w.take(socket('t'), {}, new AbortController().signal)).rejects.toMatchObject({
      code: 'AGENT_QUEUE_FULL',
    });
    agentAbort.abort();
    await expect(agent).rejects.toMatchObject({ code: 'AGENT_WAIT_ABORTED' });
    expect(w.waitingAgents).toBe(0);
  });
});
