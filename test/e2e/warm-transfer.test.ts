import { afterEach, describe, expect, it } from 'vitest';
import type { LifecycleEvent } from '../../src/calls/call-lifecycle.js';
import type { CallSession } from '../../src/calls/call-session.js';
import type { TransferEvent } from '../../src/protocols/agent/events.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import type { SimulatedChannel } from '../../src/simulator/ari/simulated-channel.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'agent-secret';
const PERSON = 'PJSIP/200';

function nativeRoute(agentUrl: string, warm: Record<string, unknown> = {}) {
  return {
    routes: [
      {
        name: 'native',
        agent: { kind: 'websocket', url: agentUrl, secretEnv: 'AGENT_SECRET' },
        transfer: { warm },
      },
    ],
  };
}

/** A call with the native echo agent answered and bridged; its lifecycle events are collected. */
async function liveCall(h: AriHarness, agent: NativeEchoAgent) {
  const caller = await h.sim.placeInboundCall();
  const s = await agent.waitForSession(0);
  await s.waitForEvent('answer');
  await waitFor(() => h.sim.bridges().length === 1 && h.sim.bridges()[0]!.channels.length === 2);
  const session = h.app.registry.list()[0]!;
  const events: LifecycleEvent[] = [];
  session.on('event', (e) => events.push(e));
  return { caller, s, session, events, callBridge: h.sim.bridges()[0]!.id };
}

function personLeg(h: AriHarness): SimulatedChannel | undefined {
  const ch = h.sim.channels().find((c) => c.id.startsWith('ava-wt-'));
  return ch ? h.sim.channel(ch.id) : undefined;
}

const transferSteps = (events: LifecycleEvent[]) =>
  events.filter((e) => e.type.startsWith('transfer.')).map((e) => e.type);

const agentSteps = (s: { events: Array<{ event: string }> }) =>
  s.events.filter((e): e is TransferEvent => e.event === 'transfer').map((e) => e.state);

/** The caller is back in the call's bridge with the media channel, the person's leg and holding bridge gone. */
async function expectBackWithAgent(h: AriHarness, caller: SimulatedChannel, callBridge: string, session: CallSession) {
  await waitFor(() => caller.bridgeId === callBridge, 10_000, 'caller back in the call bridge');
  await waitFor(() => personLeg(h) === undefined && h.sim.bridges().length === 1, 10_000, 'person leg cleaned up');
  expect(h.sim.bridges()[0]!.channels).toHaveLength(2);
  expect(session.closing).toBe(false);
  expect(session.state).toBe('active');
}

describe('warm transfer (native agent, simulated Asterisk)', () => {
  let h: AriHarness | undefined;
  let agent: NativeEchoAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  it('answered: the person hears the prompt, then is bridged with the caller and the agent leaves', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    h = await startAriHarness({ AGENT_SECRET: SECRET }, { routesJson: nativeRoute(agent.url) });
    h.sim.setEndpointBehaviour(PERSON, 'answer', { ringMs: 100 });
    const { caller, s, session, events, callBridge } = await liveCall(h, agent);

    s.sendCommand({
      command: 'refer',
      mode: 'warm',
      target: { endpoint: PERSON },
      summary: 'Alice wants a refund for order 42',
      prompt: ['sound:transfer-summary'],
      reason: 'refund',
    });
    await s.waitForEvent('transfer', (e) => e.state === 'completed', 15_000);
    await session.done;
    expect(session.endSummary?.reason).toBe('transferred');
    expect(agentSteps(s)).toEqual(['started', 'ringing', 'answered', 'summary_played', 'completed']);
    await s.waitForEvent('hangup');
    expect(transferSteps(events)).toEqual([
      'transfer.started',
      'transfer.ringing',
      'transfer.answered',
      'transfer.summary_played',
      'transfer.completed',
    ]);
    const summary = events.find((e) => e.type === 'transfer.summary_played');
    expect(summary?.data).toMatchObject({ via: 'prompt' });

    // The person heard the prompt on their own channel, played to the end before they were put through.
    const person = personLeg(h)!;
    const playbacks = h.sim
      .eventLog()
      .map((d) => d.event)
      .filter((e) => e.type === 'PlaybackFinished' && e.playback.target_uri === `channel:${person.id}`);
    expect(playbacks.map((e) => (e.type === 'PlaybackFinished' ? e.playback.media_uri : ''))).toEqual([
      'sound:transfer-summary',
    ]);

    // Caller and person share a bridge without music; the agent's media channel and the call bridge are gone.
    await waitFor(() => h!.sim.bridges().length === 1 && h!.sim.bridges()[0]!.id !== callBridge, 10_000, 'released');
    const hold = h.sim.bridges()[0]!;
    expect([...hold.channels].sort()).toEqual([caller.id, person.id].sort());
    expect(h.sim.bridgeMoh(hold.id)).toBeUndefined();
    expect(
      h.sim
        .channels()
        .map((c) => c.id)
        .sort(),
    ).toEqual([caller.id, person.id].sort());
    expect(caller.alive).toBe(true);

    // The person hangs up: the caller is hung up and nothing is left.
    await person.hangup();
    await caller.ended;
    await waitFor(() => h!.sim.channels().length === 0 && h!.sim.bridges().length === 0, 10_000, 'nothing left');
  }, 40_000);

  it('busy: the caller is back with the agent, which gets the reason and the Q.850 cause', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    h = await startAriHarness({ AGENT_SECRET: SECRET }, { routesJson: nativeRoute(agent.url) });
    h.sim.setEndpointBehaviour(PERSON, 'busy');
    const { caller, s, session, events, callBridge } = await liveCall(h, agent);

    s.sendCommand({ command: 'refer', mode: 'warm', target: { endpoint: PERSON }, prompt: ['sound:intro'] });
    const failed = await s.waitForEvent('transfer', (e) => e.state === 'failed', 15_000);
    expect(failed).toMatchObject({ reason: 'busy', cause: 17, target: PERSON });
    await expectBackWithAgent(h, caller, callBridge, session);
    expect(transferSteps(events)).toEqual(['transfer.started', 'transfer.ringing', 'transfer.failed']);
    // The failure is the transfer event, not a second `error`.
    expect(s.events.some((e) => e.event === 'error')).toBe(false);
    await caller.hangup();
    await session.done;
  }, 40_000);

  it('not answered with hold music: the caller hears MOH while it rings, then is back with the agent', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET },
      { routesJson: nativeRoute(agent.url, { hold: 'moh', mohClass: 'jazz', ringTimeoutSec: 5 }) },
    );
    h.sim.setEndpointBehaviour(PERSON, 'noanswer', { ringMs: 1500 });
    const { caller, s, session, callBridge } = await liveCall(h, agent);

    s.sendCommand({ command: 'refer', mode: 'warm', target: { endpoint: PERSON }, prompt: ['sound:intro'] });
    await s.waitForEvent('transfer', (e) => e.state === 'ringing', 10_000);
    // While it rings the caller waits alone in the holding bridge with the route's music class.
    await waitFor(() => caller.bridgeId !== undefined && caller.bridgeId !== callBridge, 5000, 'caller on hold');
    expect(h.sim.bridgeMoh(caller.bridgeId!)).toBe('jazz');

    const failed = await s.waitForEvent('transfer', (e) => e.state === 'failed', 15_000);
    expect(failed).toMatchObject({ reason: 'no_answer', cause: 19 });
    await expectBackWithAgent(h, caller, callBridge, session);
    await caller.hangup();
    await session.done;
  }, 40_000);

  it('declined with the decline key while hearing the summary: the person is hung up, the caller is back', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET },
      { routesJson: nativeRoute(agent.url, { declineDigit: '2' }), sim: { playbackMs: 5000 } },
    );
    h.sim.setEndpointBehaviour(PERSON, 'answer', { ringMs: 100 });
    const { caller, s, session, events, callBridge } = await liveCall(h, agent);

    s.sendCommand({ command: 'refer', mode: 'warm', target: { endpoint: PERSON }, prompt: ['sound:intro'] });
    await s.waitForEvent('transfer', (e) => e.state === 'answered', 10_000);
    const person = personLeg(h)!;
    await waitFor(
      () => h!.sim.eventLog().some((d) => d.event.type === 'PlaybackStarted'),
      5000,
      'the summary prompt playing',
    );
    person.sendDtmf('1'); // not the decline key: ignored
    person.sendDtmf('2');
    const failed = await s.waitForEvent('transfer', (e) => e.state === 'failed', 10_000);
    expect(failed).toMatchObject({ reason: 'declined' });
    await person.ended;
    await expectBackWithAgent(h, caller, callBridge, session);
    expect(transferSteps(events)).toEqual([
      'transfer.started',
      'transfer.ringing',
      'transfer.answered',
      'transfer.failed',
    ]);
    await caller.hangup();
    await session.done;
  }, 40_000);

  it('the person hanging up during the summary brings the caller back; a second transfer meanwhile is refused', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET },
      { routesJson: nativeRoute(agent.url), sim: { playbackMs: 5000 } },
    );
    h.sim.setEndpointBehaviour(PERSON, 'answer', { ringMs: 100 });
    const { caller, s, session, callBridge } = await liveCall(h, agent);

    s.sendCommand({ command: 'refer', mode: 'warm', target: { endpoint: PERSON }, prompt: ['sound:intro'] });
    await s.waitForEvent('transfer', (e) => e.state === 'answered', 10_000);
    s.sendCommand({ command: 'refer', mode: 'warm', target: { endpoint: 'PJSIP/300' }, prompt: ['sound:intro'] });
    const refused = await s.waitForEvent('error', (e) => e.command === 'refer', 10_000);
    expect(refused.message).toContain('already running');
    await personLeg(h)!.hangup();
    const failed = await s.waitForEvent('transfer', (e) => e.state === 'failed', 10_000);
    expect(failed).toMatchObject({ reason: 'human_hangup' });
    await expectBackWithAgent(h, caller, callBridge, session);
    await caller.hangup();
    await session.done;
  }, 40_000);

  it('the caller hanging up while the person rings: the person leg is hung up and nothing is left', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    h = await startAriHarness({ AGENT_SECRET: SECRET }, { routesJson: nativeRoute(agent.url) });
    h.sim.setEndpointBehaviour(PERSON, 'answer', { ringMs: 'manual' });
    const { caller, s, session, events } = await liveCall(h, agent);

    s.sendCommand({ command: 'refer', mode: 'warm', target: { endpoint: PERSON }, prompt: ['sound:intro'] });
    await s.waitForEvent('transfer', (e) => e.state === 'ringing', 10_000);
    const person = personLeg(h)!;
    await caller.hangup();
    await session.done;
    expect(session.endSummary?.reason).toBe('caller_hangup');
    await person.ended;
    // The transfer's end is recorded before the call's.
    const types = events.map((e) => e.type);
    expect(types.indexOf('transfer.failed')).toBeGreaterThan(-1);
    expect(types.indexOf('transfer.failed')).toBeLessThan(types.indexOf('call.ended'));
    expect(events.find((e) => e.type === 'transfer.failed')?.data).toMatchObject({ reason: 'caller_hangup' });
    await waitFor(() => h!.sim.channels().length === 0 && h!.sim.bridges().length === 0, 10_000, 'nothing left');
  }, 40_000);

  it('a bad target is refused at once with a clear error', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    h = await startAriHarness({ AGENT_SECRET: SECRET }, { routesJson: nativeRoute(agent.url) });
    const { caller, s, session, events } = await liveCall(h, agent);
    s.sendCommand({ command: 'refer', mode: 'warm', target: { endpoint: 'not an endpoint' }, prompt: ['sound:x'] });
    const refused = await s.waitForEvent('error', (e) => e.command === 'refer', 10_000);
    expect(refused.code).toBe('refer_failed');
    expect(refused.message).toContain('not an endpoint');
    expect(transferSteps(events)).toEqual([]);
    expect(session.state).toBe('active');
    await caller.hangup();
    await session.done;
  }, 40_000);
});
