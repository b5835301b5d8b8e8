import { afterEach, describe, expect, it } from 'vitest';
import type { SimRealtimeSession } from '../../src/simulator/realtime/realtime-sim-session.js';
import { waitFor } from '../support/wait.js';
import {
  callerBurst,
  onlySession,
  type RealtimeHarness,
  startRealtimeHarness,
  voicedMs,
} from '../support/realtime-harness.js';

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** Position of the first timeline entry matching, or -1. */
function seqOf(
  s: SimRealtimeSession,
  dir: 'in' | 'out',
  type: string,
  match: (e: Record<string, unknown>) => boolean = () => true,
) {
  return (
    s.log.find((e) => e.direction === dir && e.type === type && match(e.event as Record<string, unknown>))?.seq ?? -1
  );
}

const isOutput = (e: Record<string, unknown>) => (e.item as { type?: string })?.type === 'function_call_output';

async function placeTalkingCall(rt: RealtimeHarness) {
  return rt.h.sim.placeInboundCall({
    audio: { type: 'samples', samples: callerBurst(8000) },
  });
}

describe('OpenAI Realtime agent: tool calls', () => {
  let rt: RealtimeHarness | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  it('round trip: the tool runs once, its output goes after the parent response.done, then response.create', async () => {
    rt = await startRealtimeHarness({
      agent: { session: { tools: [WEATHER_TOOL] } },
      handlers: { get_weather: (args) => ({ city: (args as { city: string }).city, tempC: 21 }) },
      sim: {
        script: ({ index }) =>
          index === 0
            ? {
                audioMs: 400,
                transcript: 'Let me check.',
                // Reported twice, and the model keeps thinking 300 ms before response.done: an output sent on
                // the result (which is immediate) would arrive before response.done and be refused.
                functionCalls: [
                  { name: 'get_weather', arguments: { city: 'Berlin' }, callId: 'call_w1', reportTwice: true },
                ],
                responseDoneDelayMs: 300,
              }
            : { audioMs: 500, transcript: 'It is 21 degrees in Berlin.' },
      },
    });
    const { sim, tools, transcripts } = rt;
    const caller = await placeTalkingCall(rt);
    const s = await sim.waitForSession(0);
    const update = await s.waitForReceived('session.update');
    expect((update.session as { tools: unknown[] }).tools).toEqual([{ type: 'function', ...WEATHER_TOOL }]);
    await s.waitFor(() => (s.functionOutputs.length === 1 ? true : undefined), 'function_call_output', 20_000);
    await s.waitFor(() => (s.responses.length === 2 && !s.activeResponse ? true : undefined), 'the answer', 15_000);
    const first = s.responses[0]!;
    const doneSeq = seqOf(s, 'out', 'response.done', (e) => (e.response as { id: string }).id === first.id);
    const outputSeq = seqOf(s, 'in', 'conversation.item.create', isOutput);
    const createSeq = s.log.find((e) => e.direction === 'in' && e.type === 'response.create' && e.seq > outputSeq)?.seq;
    expect(doneSeq).toBeGreaterThan(0);
    expect(outputSeq).toBeGreaterThan(doneSeq);
    expect(createSeq).toBeGreaterThan(outputSeq);
    expect(s.functionOutputs).toEqual([{ callId: 'call_w1', output: JSON.stringify({ city: 'Berlin', tempC: 21 }) }]);
    // Reported four times (arguments.done and output_item.done, twice, and in response.done): run once.
    const callId = onlySession(rt.h).id;
    expect(tools.runs.get(`${callId}:call_w1`)).toBe(1);
    expect(tools.requests).toEqual([
      { callId, toolCallId: 'call_w1', name: 'get_weather', arguments: { city: 'Berlin' } },
    ]);
    expect(s.errors).toEqual([]);
    await waitFor(() => transcripts.turns.some((t) => t.text === 'It is 21 degrees in Berlin.'), 10_000, 'answer turn');
    await caller.hangup();
  }, 40_000);

  it('hangup: the goodbye is played in full, then the call is hung up', async () => {
    rt = await startRealtimeHarness({
      agent: { builtinTools: { hangup: true } },
      sim: {
        script: () => ({
          audioMs: 1000,
          transcript: 'Thank you, goodbye!',
          functionCalls: [{ name: 'hangup', arguments: { reason: 'caller done' } }],
        }),
      },
    });
    const caller = await placeTalkingCall(rt);
    const s = await rt.sim.waitForSession(0);
    const update = await s.waitForReceived('session.update');
    expect((update.session as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toEqual(['hangup']);
    await waitFor(() => rt!.h.app.registry.size === 1);
    const session = onlySession(rt.h);
    await session.done;
    expect(session.endSummary?.reason).toBe('agent_hangup');
    await caller.ended;
    // All 1000 ms of the goodbye reached the caller before the hangup.
    expect(voicedMs(rt.h, 8000)).toBeGreaterThanOrEqual(1000);
  }, 40_000);

  it('send_dtmf and transfer act on the call through ARI', async () => {
    rt = await startRealtimeHarness({
      agent: {
        builtinTools: {
          sendDtmf: true,
          transfer: { destinations: { sales: { context: 'from-internal', extension: '200', description: 'sales' } } },
        },
      },
      sim: {
        script: ({ index }) =>
          index === 0
            ? {
                audioMs: 200,
                transcript: 'Dialling.',
                functionCalls: [{ name: 'send_dtmf', arguments: { digits: '12#' } }],
              }
            : {
                audioMs: 300,
                transcript: 'Transferring you to sales.',
                functionCalls: [{ name: 'transfer', arguments: { target: 'sales' } }],
              },
      },
    });
    const caller = await placeTalkingCall(rt);
    const s = await rt.sim.waitForSession(0);
    await s.waitFor(() => (s.functionOutputs.length >= 1 ? true : undefined), 'DTMF outcome', 20_000);
    expect(JSON.parse(s.functionOutputs[0]!.output)).toEqual({ ok: true, sent: '12#' });
    expect(caller.dtmfSent.map((d) => d.dtmf).join('')).toBe('12#');
    // The follow-up response asks for the transfer: the caller leaves Stasis for from-internal,200.
    await waitFor(() => rt!.h.app.registry.size === 0, 15_000, 'call handed off');
    expect(caller.inStasis).toBe(false);
    expect(caller.events.some((e) => e.type === 'ChannelHangupRequest')).toBe(false);
    expect(s.errors).toEqual([]);
  }, 40_000);

  it('a slow tool gets its filler spoken out of band, and the answer waits for the filler to finish', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    rt = await startRealtimeHarness({
      agent: {
        session: { tools: [{ name: 'slow_lookup', parameters: { type: 'object', properties: {} } }] },
        fillers: { slow_lookup: 'One moment please.' },
        fillerDelayMs: 100,
      },
      handlers: {
        slow_lookup: async () => {
          await released;
          return { found: true };
        },
      },
      sim: {
        script: ({ index, params }) => {
          if (params?.conversation === 'none') return { audioMs: 600, transcript: 'One moment please.' };
          return index === 0
            ? { audioMs: 200, transcript: 'Checking.', functionCalls: [{ name: 'slow_lookup', arguments: {} }] }
            : { audioMs: 300, transcript: 'Found it.' };
        },
      },
    });
    const caller = await placeTalkingCall(rt);
    const s = await rt.sim.waitForSession(0);
    const filler = await s.waitForReceived(
      'response.create',
      (e) => (e.response as { conversation?: string } | undefined)?.conversation === 'none',
      20_000,
    );
    expect(filler.response).toMatchObject({
      conversation: 'none',
      metadata: { purpose: 'filler' },
      tool_choice: 'none',
      output_modalities: ['audio'],
    });
    expect((filler.response as { instructions: string }).instructions).toContain('One moment please.');
    // Release the tool while the filler is still being spoken.
    release();
    await s.waitFor(() => (s.functionOutputs.length === 1 ? true : undefined), 'function_call_output', 10_000);
    await s.waitFor(
      () => (s.responses.length === 3 && !s.activeResponse ? true : undefined),
      'filler and answer responses',
      15_000,
    );
    // The filler was not added to the conversation and was never truncated; no request was refused.
    expect(s.errors).toEqual([]);
    expect(s.responses.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
    await waitFor(() => rt!.transcripts.turns.some((t) => t.text === 'Found it.'), 10_000, 'answer turn');
    await caller.hangup();
  }, 40_000);
});
