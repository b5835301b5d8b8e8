import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeAgent } from '../../../src/calls/agents/realtime-agent.js';
import { InProcessToolInvoker } from '../../../src/calls/agents/realtime-tool-invoker.js';
import { MemoryTranscriptSink } from '../../../src/calls/agents/realtime-transcripts.js';
import type { CallInfo } from '../../../src/calls/voice-agent.js';
import type { realtimeAgentSchema } from '../../../src/config/realtime-route.js';
import { type RealtimeSimulator, startRealtimeSimulator } from '../../../src/simulator/realtime/realtime-simulator.js';
import { FakeBridge, realtimeCallInfo as callInfo } from '../../support/realtime-fake-bridge.js';
import { waitFor } from '../../support/wait.js';

const SILENCE_ULAW = Buffer.alloc(160, 0xff);

describe('RealtimeAgent against the simulator, with a fake bridge', () => {
  let sim: RealtimeSimulator | undefined;
  let agent: RealtimeAgent | undefined;
  afterEach(async () => {
    await agent?.close('caller_hangup', 'caller');
    await sim?.close();
    agent = undefined;
    sim = undefined;
  });

  function make(
    call: CallInfo,
    reconnect = { initialDelayMs: 20, maxDelayMs: 50, multiplier: 2, jitter: 0, maxAttempts: 3 },
    handlers: ConstructorParameters<typeof InProcessToolInvoker>[0]['handlers'] = {},
  ) {
    const bridge = new FakeBridge();
    const cfg = call.route.agent as ReturnType<typeof realtimeAgentSchema.parse>;
    agent = new RealtimeAgent({
      config: cfg,
      legFormat: call.legFormat,
      apiKey: undefined,
      tools: new InProcessToolInvoker({ handlers }),
      transcripts: new MemoryTranscriptSink(),
      reconnect,
      logger: pino({ level: 'silent' }),
    });
    bridge.agent = agent;
    return { bridge, agent };
  }

  it('local VAD barge-in: speaking flushes playout and truncates to the frames taken', async () => {
    sim = await startRealtimeSimulator({ speed: Number.POSITIVE_INFINITY, defaultAudioMs: 3000 });
    const call = callInfo({ url: sim.url, bargeIn: 'local', greeting: 'Hello.' });
    const { bridge, agent: a } = make(call);
    await a.start(call, bridge, AbortSignal.timeout(5000));
    a.notify({ type: 'answer' });
    a.sendAudio(SILENCE_ULAW);
    const s = sim.sessions[0]!;
    await waitFor(() => bridge.playout.bufferedMs >= 3000, 5000, 'greeting audio queued');
    bridge.play(37); // 740 ms
    a.notify({ type: 'speaking', atMs: 0 });
    const t = await s.waitFor(() => s.truncations[0], 'truncate');
    expect(t).toMatchObject({ audioEndMs: 740, accepted: true, itemAudioMs: 3000 });
    expect(bridge.playout.bufferedMs).toBe(0);
    expect(a.stats.truncations).toBe(1);
  });

  it('server barge-in is ignored with bargeIn "local"; a control message interrupts and asks for an answer', async () => {
    sim = await startRealtimeSimulator({ speed: Number.POSITIVE_INFINITY, defaultAudioMs: 2000 });
    const call = callInfo({ url: sim.url, bargeIn: 'local' });
    const { bridge, agent: a } = make(call);
    await a.start(call, bridge, AbortSignal.timeout(5000));
    const s = sim.sessions[0]!;
    s.respond({ audioMs: 2000, transcript: 'A long answer.' });
    await waitFor(() => bridge.playout.bufferedMs >= 2000, 5000, 'audio queued');
    bridge.play(10);
    s.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'item_x' });
    await new Promise((r) => setTimeout(r, 100));
    expect(bridge.playout.bufferedMs).toBe(1800);
    a.sendMessage('The caller is a VIP.', { interrupt: true });
    await s.waitForReceived('conversation.item.create');
    expect(s.received('conversation.item.create')[0]!.item).toEqual({
      type: 'message',
      role: 'system',
      content: [{ type: 'input_text', text: 'The caller is a VIP.' }],
    });
    expect(s.truncations[0]).toMatchObject({ audioEndMs: 200, accepted: true });
    await s.waitForReceived('response.create');
  });

  it("applies the call's overrides, and refuses malformed ones before connecting", async () => {
    sim = await startRealtimeSimulator();
    const good = callInfo(
      { url: sim.url, session: { voice: 'alloy' } },
      {
        'realtime.session': JSON.stringify({ voice: 'cedar', instructions: 'Speak German.' }),
      },
    );
    const { bridge, agent: a } = make(good);
    await a.start(good, bridge, AbortSignal.timeout(5000));
    const update = await sim.sessions[0]!.waitForReceived('session.update');
    expect(update.session).toMatchObject({ instructions: 'Speak German.', audio: { output: { voice: 'cedar' } } });
    await a.close('caller_hangup', 'caller');
    const bad = callInfo({ url: sim.url }, { 'realtime.session': '{"voice": 42}' });
    const second = make(bad);
    await expect(second.agent.start(bad, second.bridge, AbortSignal.timeout(5000))).rejects.toMatchObject({
      code: 'REALTIME_CONFIG_INVALID',
    });
    expect(sim.handshakes).toHaveLength(1);
  });

  it('retries a 503 at connect, gives up at once on a 400', async () => {
    sim = await startRealtimeSimulator({
      refuseConnection: (n) => (n === 1 ? { status: 503 } : n === 3 ? { status: 400 } : undefined),
    });
    const call = callInfo({ url: sim.url });
    const { bridge, agent: a } = make(call);
    await a.start(call, bridge, AbortSignal.timeout(5000));
    expect(sim.handshakes.map((h) => h.outcome)).toEqual(['refused', 'accepted']);
    await a.close('caller_hangup', 'caller');
    const second = make(call);
    await expect(second.agent.start(call, second.bridge, AbortSignal.timeout(5000))).rejects.toMatchObject({
      code: 'REALTIME_HANDSHAKE_FAILED',
      retryable: false,
    });
    expect(sim.handshakes).toHaveLength(3);
  });

  it('a tool call pending across a reconnect: its call is replayed to the new session, then its output is accepted', async () => {
    sim = await startRealtimeSimulator({ speed: Number.POSITIVE_INFINITY });
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const call = callInfo({ url: sim.url, session: { tools: [{ name: 'slow' }] } });
    const { bridge, agent: a } = make(call, undefined, {
      slow: async () => {
        await released;
        return { done: true };
      },
    });
    await a.start(call, bridge, AbortSignal.timeout(5000));
    const s0 = sim.sessions[0]!;
    s0.respond({ functionCalls: [{ name: 'slow', arguments: {}, callId: 'call_p' }] });
    await s0.waitFor(() => (s0.activeResponse === undefined && s0.responses.length === 1 ? true : undefined), 'done');
    s0.drop();
    const s1 = await sim.waitForSession(1);
    await s1.waitForReceived('conversation.item.create', (e) => (e.item as { type: string }).type === 'function_call');
    release();
    await s1.waitFor(() => (s1.functionOutputs.length === 1 ? true : undefined), 'output in the new session');
    expect(s1.functionOutputs).toEqual([{ callId: 'call_p', output: '{"done":true}' }]);
    expect(s1.errors).toEqual([]);
    expect(s0.functionOutputs).toEqual([]);
    await s1.waitForReceived('response.create');
  });

  it('the server going away for good: reconnects under the policy, then fails the agent with the cause', async () => {
    sim = await startRealtimeSimulator();
    const call = callInfo({ url: sim.url });
    const { bridge, agent: a } = make(call);
    await a.start(call, bridge, AbortSignal.timeout(5000));
    await sim.close();
    await waitFor(() => bridge.failures.length === 1, 10_000, 'agent failure');
    expect(bridge.failures[0]).toMatchObject({ code: 'REALTIME_UNREACHABLE', retryable: true });
    expect(a.stats.reconnects).toBe(1);
    sim = undefined;
  });
});
