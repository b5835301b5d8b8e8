import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { BeepDetector } from '../../src/audio/beep-detector.js';
import { rmsDbfs } from '../../src/audio/tone-analysis.js';
import type { CallLifecycleEvent } from '../../src/calls/call-session.js';
import { type AmdOptions, resolveAmdSettings } from '../../src/config/amd-config.js';
import type { Route } from '../../src/config/routes.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'agent-secret';
const FIXTURES = fileURLToPath(new URL('../fixtures/amd/', import.meta.url));
/** machine-01.wav: greeting, then a 1000 Hz beep ending 3.72 s into the recording (labels.csv, the bench). */
const MACHINE = `${FIXTURES}machine-01.wav`;
const MACHINE_BEEP_END_MS = 3720;
const HUMAN = `${FIXTURES}human-01.wav`;
/**
 * The callee's audio and the adapter's frames towards it start on two clocks (the simulated caller's first frame,
 * the adapter's first tick), a few frames apart: positions in one are compared with the other within this.
 */
const CLOCK_SLACK_MS = 100;

describe('answering-machine detection on outbound calls (simulated Asterisk, Silero VAD)', () => {
  let h: AriHarness | undefined;
  let agent: NativeEchoAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  async function start(): Promise<{ h: AriHarness; agent: NativeEchoAgent; route: Route }> {
    agent = await startNativeEchoAgent({ mode: 'burst', secret: SECRET });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET, VAD: 'silero' },
      {
        routesJson: {
          routes: [{ name: 'out', agent: { kind: 'websocket', url: agent.url, secretEnv: 'AGENT_SECRET' } }],
        },
      },
    );
    const route = h.app.routes.byName('out');
    if (!route) throw new Error('route missing');
    return { h, agent, route };
  }

  async function originate(hh: AriHarness, route: Route, amd: AmdOptions) {
    const r = await hh.app.stasis!.originate({
      endpoint: 'PJSIP/trunk',
      route,
      amd: resolveAmdSettings(route.amd, amd),
    });
    const session = hh.app.registry.get(r.callId)!;
    const events: CallLifecycleEvent[] = [];
    session.on('event', (e) => events.push(e));
    return { session, events };
  }

  /** Index of the first 20 ms frame the adapter sent towards the callee that carries agent audio (not silence). */
  function firstAgentFrame(hh: AriHarness): number {
    const frames = hh.media[0]!.received.filter((f) => f.kind === 0x10 && f.payload);
    return frames.findIndex((f) => rmsDbfs(pcmSamples(f.payload!)) > -40);
  }

  it('adapter mode, human: the agent gets amd=human in incoming before it speaks', async () => {
    const { h, agent, route } = await start();
    h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', { ringMs: 50, audio: { type: 'wav', path: HUMAN } });
    const { session, events } = await originate(h, route, { mode: 'adapter' });
    const s = await agent.waitForSession(0, 15_000);
    const incoming = await s.waitForEvent('incoming');
    expect(incoming.amd).toMatchObject({ mode: 'adapter', result: 'human', cause: 'HUMAN' });
    expect(incoming.amd?.decisionMs).toBeGreaterThan(0);
    expect(incoming.customParameters).toMatchObject({ amd: 'human', amdCause: 'HUMAN' });
    await s.waitForEvent('answer');
    expect(s.eventNames.indexOf('incoming')).toBeLessThan(s.eventNames.indexOf('answer'));
    // The agent's words come after the verdict: nothing but silence went to the callee before it.
    const amdEvent = events.find((e) => e.type === 'amd.result');
    expect(amdEvent?.data).toMatchObject({ result: 'human' });
    const agentConnected = events.findIndex((e) => e.type === 'agent.connected');
    expect(events.findIndex((e) => e.type === 'amd.result')).toBeLessThan(agentConnected);
    await session.close('control_hangup');
  });

  it('adapter mode, machine with message: waits for the beep, the agent speaks after it, then the call ends', async () => {
    const { h, agent, route } = await start();
    h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', { ringMs: 50, audio: { type: 'wav', path: MACHINE } });
    const { session } = await originate(h, route, { mode: 'adapter', machine: 'message' });
    const s = await agent.waitForSession(0, 20_000);
    const incoming = await s.waitForEvent('incoming');
    expect(incoming.amd).toMatchObject({ mode: 'adapter', result: 'machine', beep: true });
    expect(incoming.amd?.beepEndMs).toBeGreaterThanOrEqual(MACHINE_BEEP_END_MS - 100);
    await session.done;
    expect(session.endSummary?.reason).toBe('amd_message_left');
    // The greeting and the beep held while the agent connected were not handed to it: it never heard the beep.
    expect(s.audioBytes).toBeGreaterThan(0);
    const heard = pcmSamples(s.receivedAudio());
    expect(new BeepDetector({ sampleRate: incoming.audio.sampleRate }).push(heard)).toEqual([]);
    // The message (the agent's 1 s tone) started after the beep had ended on the callee's side.
    const first = firstAgentFrame(h);
    expect(first).toBeGreaterThan(0);
    expect(first * 20).toBeGreaterThanOrEqual(MACHINE_BEEP_END_MS - CLOCK_SLACK_MS);
    const sent = h.media[0]!.received.filter((f) => f.kind === 0x10 && f.payload);
    const voiced = sent.filter((f) => rmsDbfs(pcmSamples(f.payload!)) > -40).length;
    expect(voiced * 20).toBeGreaterThanOrEqual(900);
  });

  it('asterisk mode, machine with hangup: AMD() in [ava-amd] says MACHINE, the call ends before any agent', async () => {
    const { h, agent, route } = await start();
    h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', {
      ringMs: 50,
      amd: { status: 'MACHINE', cause: 'LONGGREETING-1600-1500', delayMs: 300 },
    });
    const { session, events } = await originate(h, route, { mode: 'asterisk', greetingMs: 1500 });
    await session.done;
    expect(session.endSummary?.reason).toBe('amd_machine');
    expect(events.find((e) => e.type === 'amd.result')?.data).toEqual({
      mode: 'asterisk',
      result: 'machine',
      cause: 'LONGGREETING',
      detail: 'LONGGREETING-1600-1500',
    });
    expect(agent.sessions).toHaveLength(0);
    expect(session.info.channelId).toBeDefined();
    await waitFor(() => h.sim.channels().length === 0, 10_000, 'callee hung up');
  });

  it('asterisk mode: a callee who hangs up during AMD() fails the originate with ORIGINATE_AMD_HANGUP', async () => {
    const { h, agent, route } = await start();
    h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', {
      ringMs: 50,
      amd: { status: 'HANGUP', cause: '', delayMs: 100 },
    });
    const settings = resolveAmdSettings(undefined, { mode: 'asterisk' });
    await expect(h.app.stasis!.originate({ endpoint: 'PJSIP/trunk', route, amd: settings })).rejects.toMatchObject({
      code: 'ORIGINATE_AMD_HANGUP',
    });
    expect(agent.sessions).toHaveLength(0);
    await waitFor(() => h.sim.channels().length === 0, 10_000, 'channel gone');
  });

  it('asterisk mode, human: the agent gets amd=human (asterisk) in incoming', async () => {
    const { h, agent, route } = await start();
    h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', {
      ringMs: 50,
      amd: { status: 'HUMAN', cause: 'HUMAN-800-800', delayMs: 200 },
    });
    const { session } = await originate(h, route, { mode: 'asterisk' });
    const s = await agent.waitForSession(0, 15_000);
    const incoming = await s.waitForEvent('incoming');
    expect(incoming.amd).toMatchObject({ mode: 'asterisk', result: 'human', cause: 'HUMAN', detail: 'HUMAN-800-800' });
    await session.close('control_hangup');
  });

  it('asterisk mode, machine with message: the adapter waits for the beep after AMD(), then the agent speaks', async () => {
    const { h, agent, route } = await start();
    h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', {
      ringMs: 50,
      amd: { status: 'MACHINE', cause: 'MAXWORDS-3-3', delayMs: 200 },
      audio: { type: 'wav', path: MACHINE },
    });
    const { session } = await originate(h, route, { mode: 'asterisk', machine: 'message' });
    const s = await agent.waitForSession(0, 20_000);
    const incoming = await s.waitForEvent('incoming');
    expect(incoming.amd).toMatchObject({ mode: 'asterisk', result: 'machine', cause: 'MAXWORDS', beep: true });
    await session.done;
    expect(session.endSummary?.reason).toBe('amd_message_left');
    expect(firstAgentFrame(h) * 20).toBeGreaterThanOrEqual(MACHINE_BEEP_END_MS - CLOCK_SLACK_MS);
  });
});
