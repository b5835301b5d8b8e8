import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import {
  type NativeEchoAgent,
  type NativeEchoAgentOptions,
  startNativeEchoAgent,
} from '../../src/simulator/agents/native-echo-agent.js';
import { startTestApp } from '../support/app-harness.js';
import { toneWindowMatch, trimmedPcm } from '../support/audio-checks.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'test-agent-secret';

function routesFor(url: string, extra: Record<string, unknown> = {}) {
  return {
    routes: [{ name: 'native', agent: { kind: 'websocket', url, secretEnv: 'AGENT_SECRET', ...extra } }],
  };
}

const voiced = trimmedPcm;

describe('native WebSocket agent through the running service (dialplan-direct)', () => {
  let app: App | undefined;
  let agent: NativeEchoAgent | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  afterEach(async () => {
    for (const c of calls) await c.hangup().catch(() => {});
    await app?.stop(2000);
    await agent?.close();
    app = undefined;
    agent = undefined;
    calls.length = 0;
  });

  async function setup(
    mode: 'echo' | 'burst' | 'parrot',
    opts: { audio?: Buffer; route?: Record<string, unknown>; agent?: Partial<NativeEchoAgentOptions> } = {},
  ) {
    agent = await startNativeEchoAgent({
      mode,
      secret: SECRET,
      ...(opts.audio ? { audio: opts.audio } : {}),
      ...opts.agent,
    });
    const started = await startTestApp({ AGENT_SECRET: SECRET }, { routesJson: routesFor(agent.url, opts.route) });
    app = started.app;
    return started;
  }

  it('signs the connection, offers the call, and the caller hears the echo with frequency and level kept', async () => {
    const { port } = await setup('echo');
    const tone = generateTone({ rate: 8000, freq: 1000, amplitude: 8000, ms: 2000 });
    const call = await dialAudioSocket({
      host: '127.0.0.1',
      port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: tone },
    });
    calls.push(call);
    const session = await agent!.waitForSession(0);
    const incoming = await session.waitForEvent('incoming');
    expect(incoming).toMatchObject({
      route: 'native',
      direction: 'inbound',
      audio: { encoding: 'pcm16', sampleRate: 16000 },
    });
    expect(incoming.channel.audiosocketUuid).toBe(call.uuid);
    await session.waitForEvent('answer');
    // 2 s of caller audio at 16 kHz reached the agent.
    await session.waitForAudioBytes(16000 * 2 * 1.9, 15_000);
    await waitFor(() => voiced(call.receivedAudio()).length > 8000 * 1.5, 15_000, 'echo back at the caller');
    // Through 8→16 kHz to the agent and 16→8 kHz back: frequency and level kept (within 1 Hz and 0.5 dB).
    const m = toneWindowMatch(voiced(call.receivedAudio()), 8000, 1000, rmsDbfs(tone));
    expect(m.windows).toBeGreaterThanOrEqual(15);
    expect(m.share).toBeGreaterThanOrEqual(0.9);
  });

  it('plays a 10 s burst sent all at once at real time, complete and in order', async () => {
    const burst = Buffer.from(generateTone({ rate: 16000, freq: 440, amplitude: 6000, ms: 10_000 }).buffer);
    const { port } = await setup('burst', { audio: burst });
    const call = await dialAudioSocket({ host: '127.0.0.1', port, uuid: randomUUID() });
    calls.push(call);
    const session = await agent!.waitForSession(0);
    await session.waitForEvent('trackEnd', () => true, 30_000);
    const frames = call.received.filter(
      (f) => f.kind === 0x10 && f.payload && pcmSamples(f.payload).some((v) => Math.abs(v) > 100),
    );
    // 10 s is 500 frames of 20 ms; a partial edge frame at the start or end may add one.
    expect(frames.length).toBeGreaterThanOrEqual(499);
    expect(frames.length).toBeLessThanOrEqual(501);
    // Paced, not burst: the audio took at least its own duration to arrive.
    expect(frames.at(-1)!.at - frames[0]!.at).toBeGreaterThanOrEqual(9_900);
    const trackEnd = await session.waitForEvent('trackEnd');
    expect(trackEnd.durationMs).toBeCloseTo(10_000, -2);
  }, 40_000);

  it('delivers DTMF, answers malformed messages with an error and keeps the call, and ends on agent hangup', async () => {
    const { port } = await setup('echo');
    const call = await dialAudioSocket({ host: '127.0.0.1', port, uuid: randomUUID() });
    calls.push(call);
    const session = await agent!.waitForSession(0);
    await session.waitForEvent('answer');
    await call.sendDtmf('5');
    const dtmf = await session.waitForEvent('dtmf');
    expect(dtmf.digit).toBe('5');
    session.sendText('{not json');
    session.sendText(JSON.stringify({ command: 'teleport' }));
    session.sendText(JSON.stringify({ command: 'tts', text: 'hi' }));
    const errors = await waitFor(() => session.events.filter((e) => e.event === 'error').length >= 3).then(() =>
      session.events.filter((e) => e.event === 'error'),
    );
    expect(errors.map((e) => (e as { code: string }).code)).toEqual([
      'malformed_json',
      'unknown_command',
      'unsupported_command',
    ]);
    // The call goes on: play needs ARI, so in dialplan-direct mode it is refused with invalid_state.
    session.sendCommand({ command: 'play', file: 'hello-world' });
    await session.waitForEvent('error', (e) => e.command === 'play');
    expect(app!.registry.size).toBe(1);
    session.sendCommand({ command: 'hangup' });
    const hangup = await session.waitForEvent('hangup');
    expect(hangup).toMatchObject({ reason: 'agent_hangup', initiator: 'agent' });
    const closed = await call.closed;
    expect(closed.by).toBe('remote');
    expect(call.received.some((f) => f.kind === 0x00)).toBe(true);
  });

  it('sends caller audio in the frameMs the agent asked for in accept; the partial frame at hangup is not lost', async () => {
    const sizes: number[] = [];
    const { port } = await setup('echo', {
      route: { sampleRate: 8000 },
      agent: { frameMs: 100, onAudio: (_s, audio) => sizes.push(audio.length) },
    });
    // 23 frames of 20 ms, then the caller hangs up: 4 whole 100 ms frames and 60 ms left over.
    const tone = generateTone({ rate: 8000, freq: 700, amplitude: 6000, ms: 460 });
    const call = await dialAudioSocket({
      host: '127.0.0.1',
      port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: tone },
      onSourceEnd: 'hangup',
    });
    calls.push(call);
    const session = await agent!.waitForSession(0);
    await session.waitForEvent('hangup');
    expect(session.events.filter((e) => e.event === 'error')).toEqual([]);
    expect(sizes).toEqual([1600, 1600, 1600, 1600, 960]);
    expect(session.receivedAudio()).toEqual(Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength));
  });

  it('answers an invalid frameMs in accept with an error event and sends 20 ms frames', async () => {
    const sizes: number[] = [];
    const { port } = await setup('echo', {
      route: { sampleRate: 8000 },
      agent: { frameMs: 30, onAudio: (_s, audio) => sizes.push(audio.length) },
    });
    const call = await dialAudioSocket({ host: '127.0.0.1', port, uuid: randomUUID() });
    calls.push(call);
    const session = await agent!.waitForSession(0);
    const error = await session.waitForEvent('error');
    expect(error).toMatchObject({ code: 'invalid_command', command: 'accept' });
    expect((error as { message: string }).message).toMatch(/frameMs must be one of 20, 40, 60, 80, 100/);
    await waitFor(() => sizes.length >= 5);
    expect(new Set(sizes)).toEqual(new Set([320]));
    expect(app!.registry.size).toBe(1);
  });

  it('gives the caller the fallback when the agent is unreachable, and records why', async () => {
    const started = await startTestApp(
      { AGENT_SECRET: SECRET, AGENT_CONNECT_TIMEOUT_MS: '3000' },
      { routesJson: routesFor('ws://127.0.0.1:9/agent', { reconnect: { attempts: 1, initialMs: 10, maxMs: 20 } }) },
    );
    app = started.app;
    const events: string[] = [];
    app.registry.on('added', (s) =>
      s.on('event', (e) => {
        const d: Record<string, unknown> = e.data;
        events.push(`${e.type}:${String(d.code ?? d.reason ?? '')}`);
      }),
    );
    const call = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: randomUUID() });
    calls.push(call);
    const closed = await call.closed;
    expect(closed.by).toBe('remote');
    expect(events).toContain('agent.failed:AGENT_UNREACHABLE');
    expect(events).toContain('call.ended:agent_failed');
  });

  it('rejects an agent that refuses the call', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET, reject: { reason: 'busy' } });
    const started = await startTestApp({ AGENT_SECRET: SECRET }, { routesJson: routesFor(agent.url) });
    app = started.app;
    const ended: string[] = [];
    app.registry.on('added', (s) => s.on('ended', (sum) => ended.push(sum.reason)));
    const call = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: randomUUID() });
    calls.push(call);
    await call.closed;
    await waitFor(() => ended.length === 1);
    expect(ended).toEqual(['agent_rejected']);
  });

  it('refuses to connect without the right secret (the agent sees no valid signature)', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: 'another-secret' });
    const started = await startTestApp({ AGENT_SECRET: SECRET }, { routesJson: routesFor(agent.url) });
    app = started.app;
    const call = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: randomUUID() });
    calls.push(call);
    await call.closed;
    const rejected = await agent.waitForRejectedHandshake(1);
    expect(rejected).toBeDefined();
    expect(agent.sessions.length).toBe(0);
  });
});

describe('native agent connection lost mid-call', () => {
  let app: App | undefined;
  let agent: NativeEchoAgent | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  afterEach(async () => {
    for (const c of calls) await c.hangup().catch(() => {});
    await app?.stop(2000);
    await agent?.close();
    app = undefined;
    agent = undefined;
    calls.length = 0;
  });

  it('redials the agent, which gets a fresh incoming marked reconnect=1, and the call goes on', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    const started = await startTestApp({ AGENT_SECRET: SECRET }, { routesJson: routesFor(agent.url) });
    app = started.app;
    const tone = generateTone({ rate: 8000, freq: 800, amplitude: 6000, ms: 6000 });
    const call = await dialAudioSocket({
      host: '127.0.0.1',
      port: started.port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: tone },
    });
    calls.push(call);
    const first = await agent.waitForSession(0);
    await first.waitForEvent('answer');
    first.close(1011, 'agent restarting');
    const second = await agent.waitForSession(1, 15_000);
    const incoming = await second.waitForEvent('incoming');
    expect(incoming.customParameters.reconnect).toBe('1');
    expect(incoming.callId).toBe(first.callId);
    // Audio flows to the new connection; the call never ended.
    await second.waitForAudioBytes(16000 * 2 * 0.5, 15_000);
    expect(app.registry.size).toBe(1);
    expect(app.registry.list()[0]!.state).toBe('active');
  });

  it('gives the caller the fallback when the agent stays away', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    const started = await startTestApp(
      { AGENT_SECRET: SECRET },
      { routesJson: routesFor(agent.url, { reconnect: { attempts: 1, initialMs: 10, maxMs: 20 } }) },
    );
    app = started.app;
    const ended: string[] = [];
    app.registry.on('added', (s) => s.on('ended', (sum) => ended.push(sum.reason)));
    const call = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: randomUUID() });
    calls.push(call);
    const first = await agent.waitForSession(0);
    await first.waitForEvent('answer');
    await agent.close();
    agent = undefined;
    const closed = await call.closed;
    expect(closed.by).toBe('remote');
    await waitFor(() => ended.length === 1);
    expect(ended).toEqual(['agent_failed']);
  });
});
