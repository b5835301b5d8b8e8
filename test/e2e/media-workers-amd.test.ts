import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { BeepDetector } from '../../src/audio/beep-detector.js';
import { rmsDbfs } from '../../src/audio/tone-analysis.js';
import type { CallLifecycleEvent } from '../../src/calls/call-session.js';
import { type AmdOptions, resolveAmdSettings } from '../../src/config/amd-config.js';
import type { Route } from '../../src/config/routes.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import type { SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const SECRET = 'agent-secret';
const FIXTURES = fileURLToPath(new URL('../fixtures/amd/', import.meta.url));
/** machine-01.wav: greeting, then a 1000 Hz beep ending 3.72 s into the recording (labels.csv, the bench). */
const MACHINE = `${FIXTURES}machine-01.wav`;
const MACHINE_BEEP_END_MS = 3720;
const HUMAN = `${FIXTURES}human-01.wav`;
/** The callee's audio and the adapter's frames start on two clocks, a few frames apart (see amd-calls.test.ts). */
const CLOCK_SLACK_MS = 100;

/** Index of the first 20 ms frame sent towards the callee that carries agent audio (not silence). */
function firstAgentFrame(media: SimulatedAudioSocketCall): number {
  const frames = media.received.filter((f) => f.kind === 0x10 && f.payload);
  return frames.findIndex((f) => rmsDbfs(pcmSamples(f.payload!)) > -40);
}

describe('answering-machine detection on media workers (2 workers, simulated Asterisk, Silero VAD)', () => {
  let h: AriHarness | undefined;
  let agent: NativeEchoAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  }, 60_000);

  async function start(): Promise<{ h: AriHarness; agent: NativeEchoAgent; route: Route }> {
    agent = await startNativeEchoAgent({ mode: 'burst', secret: SECRET });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET, VAD: 'silero', MEDIA_WORKERS: '2' },
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

  async function originate(hh: AriHarness, route: Route, endpoint: string, amd: AmdOptions) {
    const r = await hh.app.stasis!.originate({ endpoint, route, amd: resolveAmdSettings(route.amd, amd) });
    const session = hh.app.registry.get(r.callId)!;
    const events: CallLifecycleEvent[] = [];
    session.on('event', (e) => events.push(e));
    return { session, events };
  }

  it('adapter mode: a human gets the agent with amd=human, a machine its message after the beep, each on a worker', async () => {
    const { h, agent, route } = await start();
    const pool = h.app.mediaWorkers!;
    h.sim.setEndpointBehaviour('PJSIP/human', 'answer', { ringMs: 50, audio: { type: 'wav', path: HUMAN } });
    h.sim.setEndpointBehaviour('PJSIP/machine', 'answer', { ringMs: 50, audio: { type: 'wav', path: MACHINE } });

    // A human: the verdict is reached on the worker, recorded in the primary before the agent connects.
    const human = await originate(h, route, 'PJSIP/human', { mode: 'adapter' });
    const s = await agent.waitForSession(0, WAIT_MS);
    const incoming = await s.waitForEvent('incoming');
    expect(pool.workerOf(human.session.id)).toBe(0);
    expect(incoming.amd).toMatchObject({ mode: 'adapter', result: 'human', cause: 'HUMAN' });
    expect(incoming.amd?.decisionMs).toBeGreaterThan(0);
    expect(incoming.customParameters).toMatchObject({ amd: 'human', amdCause: 'HUMAN' });
    await s.waitForEvent('answer');
    expect(s.eventNames.indexOf('incoming')).toBeLessThan(s.eventNames.indexOf('answer'));
    await waitFor(() => human.session.state === 'active', WAIT_MS, 'human call active');
    const types = human.events.map((e) => e.type);
    expect(human.events.find((e) => e.type === 'amd.result')?.data).toMatchObject({ mode: 'adapter', result: 'human' });
    expect(types.indexOf('media.connected')).toBeLessThan(types.indexOf('amd.result'));
    expect(types.indexOf('amd.result')).toBeLessThan(types.indexOf('agent.connected'));

    // A machine with `machine: message`, while the human call goes on: the other worker waits for the beep.
    const machine = await originate(h, route, 'PJSIP/machine', { mode: 'adapter', machine: 'message' });
    const m = await agent.waitForSession(1, WAIT_MS);
    const mIncoming = await m.waitForEvent('incoming');
    expect(pool.workerOf(machine.session.id)).toBe(1);
    expect(mIncoming.amd).toMatchObject({ mode: 'adapter', result: 'machine', beep: true });
    expect(mIncoming.amd?.beepEndMs).toBeGreaterThanOrEqual(MACHINE_BEEP_END_MS - 100);
    await machine.session.done;
    expect(machine.session.endSummary?.reason).toBe('amd_message_left');
    expect(machine.events.find((e) => e.type === 'amd.result')?.data).toMatchObject({ result: 'machine', beep: true });
    // The greeting and the beep held while the agent connected were not handed to it.
    expect(m.audioBytes).toBeGreaterThan(0);
    expect(new BeepDetector({ sampleRate: mIncoming.audio.sampleRate }).push(pcmSamples(m.receivedAudio()))).toEqual(
      [],
    );
    // The message started after the beep had ended on the callee's side.
    const leg = h.media[1]!;
    const first = firstAgentFrame(leg);
    expect(first).toBeGreaterThan(0);
    expect(first * 20).toBeGreaterThanOrEqual(MACHINE_BEEP_END_MS - CLOCK_SLACK_MS);
    await human.session.close('control_hangup');
    await waitFor(() => h.app.registry.size === 0, WAIT_MS, 'no live calls');
  }, 120_000);

  it('asterisk mode: MACHINE with hangup ends the call before any agent; MACHINE with message waits for the beep on a worker', async () => {
    const { h, agent, route } = await start();
    const pool = h.app.mediaWorkers!;
    h.sim.setEndpointBehaviour('PJSIP/hangup', 'answer', {
      ringMs: 50,
      amd: { status: 'MACHINE', cause: 'LONGGREETING-1600-1500', delayMs: 300 },
    });
    h.sim.setEndpointBehaviour('PJSIP/message', 'answer', {
      ringMs: 50,
      amd: { status: 'MACHINE', cause: 'MAXWORDS-3-3', delayMs: 200 },
      audio: { type: 'wav', path: MACHINE },
    });

    const hung = await originate(h, route, 'PJSIP/hangup', { mode: 'asterisk', greetingMs: 1500 });
    await hung.session.done;
    expect(hung.session.endSummary?.reason).toBe('amd_machine');
    expect(hung.events.find((e) => e.type === 'amd.result')?.data).toEqual({
      mode: 'asterisk',
      result: 'machine',
      cause: 'LONGGREETING',
      detail: 'LONGGREETING-1600-1500',
    });
    // Its media had gone to a worker (which never started an agent for it).
    expect(hung.events.find((e) => e.type === 'media.connected')?.data).toMatchObject({ worker: 0 });
    expect(agent.sessions).toHaveLength(0);
    await waitFor(() => h.sim.channels().length === 0, WAIT_MS, 'callee hung up');

    const msg = await originate(h, route, 'PJSIP/message', { mode: 'asterisk', machine: 'message' });
    const s = await agent.waitForSession(0, WAIT_MS);
    const incoming = await s.waitForEvent('incoming');
    expect(pool.workerOf(msg.session.id)).toBeDefined();
    expect(incoming.amd).toMatchObject({ mode: 'asterisk', result: 'machine', cause: 'MAXWORDS', beep: true });
    await msg.session.done;
    expect(msg.session.endSummary?.reason).toBe('amd_message_left');
    expect(firstAgentFrame(h.media[1]!) * 20).toBeGreaterThanOrEqual(MACHINE_BEEP_END_MS - CLOCK_SLACK_MS);
    await waitFor(() => h.app.registry.size === 0, WAIT_MS, 'no live calls');
  }, 120_000);
});
