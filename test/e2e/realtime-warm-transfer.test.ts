import { afterEach, describe, expect, it } from 'vitest';
import type { LifecycleEvent } from '../../src/calls/call-lifecycle.js';
import type { ResponseContext } from '../../src/simulator/realtime/realtime-sim-session.js';
import type { ResponsePlan } from '../../src/simulator/realtime/sim-response.js';
import {
  callerBurst,
  onlySession,
  type RealtimeHarness,
  startRealtimeHarness,
  voicedMs,
} from '../support/realtime-harness.js';
import { waitFor } from '../support/wait.js';

const PERSON = 'PJSIP/200';
const SUMMARY = 'Alice Smith wants a refund for order 42; she was charged twice.';
const SUMMARY_AUDIO_MS = 800;

interface BridgeView {
  id: string;
  channels: string[];
}

/**
 * The model asks for the warm transfer in its first answer; an out-of-band response whose metadata says it is the
 * transfer summary gets SUMMARY_AUDIO_MS of audio, and the bridges at that moment are kept.
 */
function script(seen: { bridgesAtSummary?: BridgeView[]; rt?: RealtimeHarness }, summaryMs = SUMMARY_AUDIO_MS) {
  return ({ index, params }: ResponseContext): ResponsePlan => {
    const purpose = (params?.metadata as { purpose?: string } | undefined)?.purpose;
    if (purpose === 'transfer-summary') {
      seen.bridgesAtSummary = seen.rt!.h.sim.bridges().map((b) => ({ id: b.id, channels: [...b.channels] }));
      return { audioMs: summaryMs, transcript: 'Hi, I have Alice on the line about a double charge.' };
    }
    if (index === 0) {
      return {
        audioMs: 300,
        transcript: 'Let me connect you with billing.',
        functionCalls: [
          { name: 'warm_transfer', arguments: { target: 'billing', summary: SUMMARY, reason: 'refund' } },
        ],
      };
    }
    return { audioMs: 300, transcript: 'Sorry, billing is busy right now. Can I help otherwise?' };
  };
}

const agent = {
  builtinTools: { warmTransfer: { destinations: { billing: { endpoint: PERSON, description: 'billing team' } } } },
};

describe('OpenAI Realtime agent: warm_transfer tool', () => {
  let rt: RealtimeHarness | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  it('answered: the model speaks the summary to the person alone, then caller and person are bridged', async () => {
    const seen: { bridgesAtSummary?: BridgeView[]; rt?: RealtimeHarness } = {};
    rt = await startRealtimeHarness({ agent, sim: { script: script(seen) } });
    seen.rt = rt;
    rt.h.sim.setEndpointBehaviour(PERSON, 'answer', { ringMs: 200 });
    const caller = await rt.h.sim.placeInboundCall({ audio: { type: 'samples', samples: callerBurst(8000) } });
    const s = await rt.sim.waitForSession(0);
    const update = await s.waitForReceived('session.update');
    const tools = (update.session as { tools: Array<{ name: string; parameters: { required: string[] } }> }).tools;
    expect(tools.map((t) => t.name)).toEqual(['warm_transfer']);
    expect(tools[0]!.parameters.required).toEqual(['target', 'summary']);
    await waitFor(() => rt!.h.app.registry.size === 1);
    const session = onlySession(rt.h);
    const events: LifecycleEvent[] = [];
    session.on('event', (e) => events.push(e));
    await waitFor(() => rt!.h.sim.bridges().length === 1, 10_000, 'call bridged');
    const callBridge = rt.h.sim.bridges()[0]!.id;

    await session.done;
    expect(session.endSummary?.reason).toBe('transferred');
    expect(events.filter((e) => e.type.startsWith('transfer.')).map((e) => e.type)).toEqual([
      'transfer.started',
      'transfer.ringing',
      'transfer.answered',
      'transfer.summary_played',
      'transfer.completed',
    ]);
    expect(events.find((e) => e.type === 'transfer.summary_played')?.data).toMatchObject({ via: 'agent' });

    // The summary was asked for out of band with the model's own words, without tools.
    const create = s.log.find(
      (e) =>
        e.direction === 'in' &&
        e.type === 'response.create' &&
        (e.event.response as { metadata?: { purpose?: string } } | undefined)?.metadata?.purpose === 'transfer-summary',
    );
    const params = create?.event.response as { instructions: string; conversation: string; tool_choice: string };
    expect(params.instructions).toContain(SUMMARY);
    expect(params).toMatchObject({ conversation: 'none', tool_choice: 'none' });

    // While the model spoke it, the person sat next to the agent's media channel and the caller was on hold.
    const person = rt.h.sim.channel(events.find((e) => e.type === 'transfer.answered')!.data.channel as string)!;
    const atSummary = seen.bridgesAtSummary!;
    const call = atSummary.find((b) => b.id === callBridge)!;
    expect(call.channels).toContain(person.id);
    expect(call.channels).not.toContain(caller.id);
    expect(atSummary.find((b) => b.channels.includes(caller.id))!.id).not.toBe(callBridge);
    // All of the summary was played out on the media leg before the two were put through.
    expect(voicedMs(rt.h, 8000)).toBeGreaterThanOrEqual(300 + SUMMARY_AUDIO_MS);

    await waitFor(() => rt!.h.sim.bridges().length === 1 && rt!.h.sim.bridges()[0]!.id !== callBridge, 10_000);
    expect([...rt.h.sim.bridges()[0]!.channels].sort()).toEqual([caller.id, person.id].sort());
    await caller.hangup();
    await person.ended;
    await waitFor(() => rt!.h.sim.channels().length === 0 && rt!.h.sim.bridges().length === 0, 10_000, 'nothing left');
  }, 40_000);

  it('busy: the tool output tells the model why, and the caller is back with it', async () => {
    const seen: { bridgesAtSummary?: BridgeView[]; rt?: RealtimeHarness } = {};
    rt = await startRealtimeHarness({ agent, sim: { script: script(seen) } });
    seen.rt = rt;
    rt.h.sim.setEndpointBehaviour(PERSON, 'busy');
    const caller = await rt.h.sim.placeInboundCall({ audio: { type: 'samples', samples: callerBurst(8000) } });
    const s = await rt.sim.waitForSession(0);
    await waitFor(() => rt!.h.app.registry.size === 1);
    const session = onlySession(rt.h);
    await waitFor(() => rt!.h.sim.bridges().length === 1, 10_000, 'call bridged');
    const callBridge = rt.h.sim.bridges()[0]!.id;

    await s.waitFor(() => (s.functionOutputs.length === 1 ? true : undefined), 'the tool output', 20_000);
    const output = JSON.parse(s.functionOutputs[0]!.output) as {
      ok: boolean;
      error: { code: string; message: string };
    };
    expect(output.ok).toBe(false);
    expect(output.error.code).toBe('TRANSFER_BUSY');
    expect(output.error.message).toContain('busy');
    expect(output.error.message).toContain('17');
    // The model answers the caller after the output.
    await s.waitFor(() => (s.responses.length >= 2 ? true : undefined), 'the answer', 15_000);
    expect(seen.bridgesAtSummary).toBeUndefined();
    expect(caller.bridgeId).toBe(callBridge);
    expect(session.state).toBe('active');
    expect(s.errors).toEqual([]);
    await caller.hangup();
    await session.done;
  }, 40_000);

  it('declined with the key while the model speaks: the summary is cut, the output says declined', async () => {
    const seen: { bridgesAtSummary?: BridgeView[]; rt?: RealtimeHarness } = {};
    rt = await startRealtimeHarness({ agent, sim: { script: script(seen, 6000) } });
    seen.rt = rt;
    rt.h.sim.setEndpointBehaviour(PERSON, 'answer', { ringMs: 200 });
    const caller = await rt.h.sim.placeInboundCall({ audio: { type: 'samples', samples: callerBurst(8000) } });
    const s = await rt.sim.waitForSession(0);
    await waitFor(() => rt!.h.app.registry.size === 1);
    const session = onlySession(rt.h);
    await waitFor(() => rt!.h.sim.bridges().length === 1, 10_000, 'call bridged');
    const callBridge = rt.h.sim.bridges()[0]!.id;

    await waitFor(() => seen.bridgesAtSummary !== undefined, 15_000, 'the summary being spoken');
    const person = rt.h.sim.channel(rt.h.sim.channels().find((c) => c.id.startsWith('ava-wt-'))!.id)!;
    person.sendDtmf('*');
    await s.waitFor(() => (s.functionOutputs.length === 1 ? true : undefined), 'the tool output', 15_000);
    const output = JSON.parse(s.functionOutputs[0]!.output) as { ok: boolean; error: { code: string } };
    expect(output).toMatchObject({ ok: false, error: { code: 'TRANSFER_DECLINED' } });
    // The summary response was cancelled rather than played on to the caller.
    expect(s.log.some((e) => e.direction === 'in' && e.type === 'response.cancel')).toBe(true);
    await person.ended;
    await waitFor(() => caller.bridgeId === callBridge && rt!.h.sim.bridges().length === 1, 10_000, 'caller back');
    expect(session.state).toBe('active');
    await caller.hangup();
    await session.done;
  }, 40_000);
});
