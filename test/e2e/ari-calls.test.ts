import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'agent-secret';

/** Agent audio the AudioSocket leg received (towards the caller), leading and trailing silence trimmed. */
function voicedSamples(h: AriHarness, index = 0): Int16Array {
  const frames = h.media[index]!.received.filter((f) => f.kind === 0x10 && f.payload);
  return trimSilence(pcmSamples(Buffer.concat(frames.map((f) => f.payload!))));
}

async function expectNothingLeft(h: AriHarness): Promise<void> {
  await waitFor(() => h.app.registry.size === 0, 10_000, 'no live calls');
  await waitFor(
    () => h.sim.channels().length === 0 && h.sim.bridges().length === 0,
    10_000,
    'no channels or bridges left',
  );
  expect(h.app.audioSocket.connections.size).toBe(0);
}

describe('Stasis calls through the simulated Asterisk', () => {
  let h: AriHarness | undefined;
  let agent: NativeEchoAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  it('inbound call: bridged to AudioSocket, the caller hears the echo, caller hangup leaves nothing behind', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' });
    const tone = generateTone({ rate: 8000, freq: 600, amplitude: 8000, ms: 1200 });
    const caller = await h.sim.placeInboundCall({
      caller: '+4930111',
      extension: '100',
      audio: { type: 'samples', samples: tone },
    });
    await waitFor(() => h!.app.registry.size === 1);
    const session = h.app.registry.list()[0]!;
    expect(session.info).toMatchObject({
      caller: '+4930111',
      callee: '100',
      channelId: caller.id,
      direction: 'inbound',
    });
    await waitFor(() => h!.media.length === 1 && voicedSamples(h!).length > 8000, 10_000, 'echo');
    const m = toneWindowMatch(voicedSamples(h), 8000, 600, rmsDbfs(tone));
    expect(m.windows).toBeGreaterThanOrEqual(10);
    expect(m.share).toBeGreaterThanOrEqual(0.9);
    // Bridge holds the caller and the AudioSocket channel.
    const [bridge] = h.sim.bridges();
    expect(bridge!.channels).toHaveLength(2);
    await caller.hangup();
    await session.done;
    expect(session.endSummary).toMatchObject({ reason: 'caller_hangup', initiator: 'caller' });
    await expectNothingLeft(h);
  });

  it('agent hangup hangs up the caller and releases everything', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET },
      {
        routesJson: {
          routes: [{ name: 'native', agent: { kind: 'websocket', url: agent.url, secretEnv: 'AGENT_SECRET' } }],
        },
      },
    );
    const caller = await h.sim.placeInboundCall({ extension: '200' });
    const s = await agent.waitForSession(0);
    const incoming = await s.waitForEvent('incoming');
    expect(incoming.channel).toMatchObject({ mode: 'stasis', id: caller.id });
    await s.waitForEvent('answer');
    s.sendCommand({ command: 'hangup', reason: 'done' });
    await caller.ended;
    const hangup = await s.waitForEvent('hangup');
    expect(hangup).toMatchObject({ reason: 'agent_hangup', initiator: 'agent' });
    await expectNothingLeft(h);
  });

  it('DTMF reaches the agent exactly once (ARI, not also the AudioSocket copy)', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET },
      {
        routesJson: {
          routes: [{ name: 'native', agent: { kind: 'websocket', url: agent.url, secretEnv: 'AGENT_SECRET' } }],
        },
      },
    );
    const caller = await h.sim.placeInboundCall();
    const s = await agent.waitForSession(0);
    await s.waitForEvent('answer');
    await waitFor(() => h!.media.length === 1);
    caller.sendDtmf('1');
    caller.sendDtmf('#', 240);
    await s.waitForEvent('dtmf', (e) => e.digit === '#');
    await new Promise((r) => setTimeout(r, 200));
    const digits = s.events.filter((e) => e.event === 'dtmf').map((e) => (e as { digit: string }).digit);
    expect(digits).toEqual(['1', '#']);
    const hash = s.events.find((e) => e.event === 'dtmf' && (e as { digit: string }).digit === '#') as {
      durationMs?: number;
    };
    expect(hash.durationMs).toBe(240);
    await caller.hangup();
    await expectNothingLeft(h);
  });

  it('blind transfer: the caller continues in the dialplan, our bridge and media leg are released', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET },
      {
        routesJson: {
          routes: [{ name: 'native', agent: { kind: 'websocket', url: agent.url, secretEnv: 'AGENT_SECRET' } }],
        },
      },
    );
    const caller = await h.sim.placeInboundCall();
    const s = await agent.waitForSession(0);
    await s.waitForEvent('answer');
    await waitFor(() => h!.sim.bridges().length === 1 && h!.sim.bridges()[0]!.channels.length === 2);
    s.sendCommand({ command: 'refer', target: { context: 'from-internal', extension: '300' } });
    await waitFor(() => h!.app.registry.size === 0, 10_000, 'call handed off');
    const session = h.app.registry.list()[0];
    expect(session).toBeUndefined();
    // The caller left Stasis (it is in the dialplan now) and was not hung up by us.
    expect(caller.inStasis).toBe(false);
    await waitFor(() => h!.sim.bridges().length === 0, 10_000, 'bridge destroyed');
    expect(caller.events.map((e) => e.type)).toContain('StasisEnd');
    expect(caller.events.some((e) => e.type === 'ChannelHangupRequest')).toBe(false);
  });

  it('AudioSocket dropping ends the call and hangs up the caller', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' });
    const caller = await h.sim.placeInboundCall();
    await waitFor(() => h!.media.length === 1 && h!.app.registry.size === 1);
    const session = h.app.registry.list()[0]!;
    await waitFor(() => session.state === 'active');
    await h.media[0]!.hangup();
    await session.done;
    expect(session.endSummary?.reason).toBe('media_closed');
    await caller.ended;
    await expectNothingLeft(h);
  });

  it('ARI events socket dropping mid-call: media keeps flowing, the adapter reconnects and reconciles', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' });
    const tone = generateTone({ rate: 8000, freq: 500, amplitude: 6000, ms: 10_000 });
    const caller = await h.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    await waitFor(() => h!.app.registry.size === 1 && h!.media.length === 1);
    const reconciled = new Promise((resolve) => h!.app.stasis!.once('reconciled', resolve));
    const before = h.media[0]!.framesReceived;
    expect(h.sim.dropEventSockets()).toBeGreaterThan(0);
    await reconciled;
    expect(h.app.registry.size).toBe(1);
    await waitFor(() => h!.media[0]!.framesReceived > before + 25, 10_000, 'media still flowing');
    await caller.hangup();
    await expectNothingLeft(h);
  });

  it('adapter restart: what a crashed run left in Asterisk is hung up and destroyed when the next run starts', async () => {
    // First run: ARI goes through a fetch we can cut, to simulate the process dying mid-call.
    let dead = false;
    const cuttable: typeof fetch = (input, init) =>
      dead ? Promise.reject(new TypeError('fetch failed: process gone')) : fetch(input, init);
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' }, { fetch: cuttable });
    const sim = h.sim;
    const caller = await sim.placeInboundCall();
    await waitFor(() => h!.app.registry.size === 1 && h!.media.length === 1);
    await waitFor(() => h!.app.registry.list()[0]!.state === 'active');
    // Crash: no more ARI, events socket gone, sockets dropped; nothing is cleaned up in Asterisk.
    dead = true;
    await h.app.stasis!.close();
    await h.app.stop(100);
    expect(caller.alive).toBe(true);
    expect(sim.bridges()).toHaveLength(1);
    // Second run against the same Asterisk.
    const { startTestApp } = await import('../support/app-harness.js');
    const second = await startTestApp({
      ARI_URL: sim.url,
      ARI_USERNAME: 'adapter',
      ARI_PASSWORD: 'test-ari-password',
      DEFAULT_AGENT: 'echo',
    });
    try {
      await caller.ended;
      await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, 10_000, 'orphans cleaned');
      expect(second.logs.find('orphan channel in our application; hanging up')).toHaveLength(1);
    } finally {
      await second.app.stop(1000);
    }
  });

  it('outbound originate: answered enters the same path; busy and no answer are reported with the cause', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' });
    const route = h.app.routes.byName('default') ?? {
      name: 'default',
      match: {},
      agent: { kind: 'echo' as const },
      audioFormat: 'slin' as const,
      bargeIn: { enabled: true, protectGreeting: false },
      fallback: { action: 'hangup' as const },
      customParameters: {},
      webhooks: [],
      tools: [],
    };
    h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', { ringMs: 50 });
    const r = await h.app.stasis!.originate({
      endpoint: 'PJSIP/trunk',
      route,
      callerId: '"Agent" <1000>',
      timeoutSec: 10,
    });
    const session = h.app.registry.get(r.callId)!;
    expect(session.info.direction).toBe('outbound');
    await waitFor(() => session.state === 'active' && h!.media.length === 1);
    await session.close('control_hangup');
    await expectNothingLeft(h);

    h.sim.setEndpointBehaviour('PJSIP/busy', 'busy');
    await expect(h.app.stasis!.originate({ endpoint: 'PJSIP/busy', route })).rejects.toMatchObject({
      code: 'ORIGINATE_BUSY',
      details: { cause: 17 },
    });
    h.sim.setEndpointBehaviour('PJSIP/away', 'noanswer', { ringMs: 100 });
    await expect(h.app.stasis!.originate({ endpoint: 'PJSIP/away', route, timeoutSec: 1 })).rejects.toMatchObject({
      code: 'ORIGINATE_NO_ANSWER',
    });
    await expect(h.app.stasis!.originate({ endpoint: 'PJSIP/nosuch', route })).rejects.toMatchObject({
      code: 'ARI_SERVER_ERROR',
    });
    await expectNothingLeft(h);
  });

  it('50 concurrent calls are each bridged, echoed and cleaned up', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' });
    const tone = generateTone({ rate: 8000, freq: 440, amplitude: 6000, ms: 1000 });
    const callers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        h!.sim.placeInboundCall({ caller: `${1000 + i}`, audio: { type: 'samples', samples: tone } }),
      ),
    );
    await waitFor(() => h!.app.registry.size === 50 && h!.media.length === 50, 20_000, '50 calls up');
    await waitFor(
      () => h!.media.every((_, i) => voicedSamples(h!, i).length > 4000),
      30_000,
      'every caller hears the echo',
    );
    await Promise.all(callers.map((c) => c.hangup()));
    await expectNothingLeft(h);
  }, 60_000);
});

describe('Stasis call failures have a defined outcome', () => {
  let h: AriHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('externalMedia refused by Asterisk (AudioSocket unreachable): logged, caller hung up, nothing left', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo', AUDIOSOCKET_ADVERTISE_HOST: '127.0.0.1:9' });
    const ended: string[] = [];
    h.app.registry.on('added', (s) => s.on('ended', (sum) => ended.push(sum.reason)));
    const caller = await h.sim.placeInboundCall();
    await caller.ended;
    await waitFor(() => ended.length === 1);
    expect(ended).toEqual(['ari_failure']);
    const line = h.logs.find('setting up the call in Asterisk failed')[0]!;
    expect(JSON.stringify(line)).toMatch(/ARI_SERVER_ERROR|externalMedia|500/);
    await expectNothingLeft(h);
  });

  it('agent unreachable: the caller hears the route fallback, then the call is hung up with the cause recorded', async () => {
    h = await startAriHarness(
      { AGENT_CONNECT_TIMEOUT_MS: '3000' },
      {
        routesJson: {
          routes: [
            {
              name: 'down',
              agent: {
                kind: 'websocket',
                url: 'ws://127.0.0.1:9/agent',
                reconnect: { attempts: 1, initialMs: 10, maxMs: 20 },
              },
              fallback: { action: 'play', media: 'sound:tt-allbusy' },
            },
          ],
        },
      },
    );
    const events: string[] = [];
    h.app.registry.on('added', (s) => s.on('event', (e) => events.push(e.type)));
    const caller = await h.sim.placeInboundCall();
    await caller.ended;
    // Events about the caller channel or a playback on it, in the order Asterisk produced them.
    const types = h.sim
      .eventLog()
      .map((d) => d.event)
      .filter((e) =>
        'playback' in e
          ? e.playback.target_uri === `channel:${caller.id}`
          : 'channel' in e && e.channel?.id === caller.id,
      )
      .map((e) => e.type);
    // The fallback played on the caller before the hangup.
    expect(types.indexOf('PlaybackStarted')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('PlaybackFinished')).toBeGreaterThan(types.indexOf('PlaybackStarted'));
    expect(types.indexOf('ChannelHangupRequest')).toBeGreaterThan(types.indexOf('PlaybackFinished'));
    expect(events).toContain('agent.failed');
    await expectNothingLeft(h);
  });
});

describe('calls arriving during shutdown', () => {
  let h: AriHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('get the route fallback and are hung up, while the live call may finish', async () => {
    h = await startAriHarness(
      {},
      {
        routesJson: {
          routes: [{ name: 'main', agent: { kind: 'echo' }, fallback: { action: 'play', media: 'sound:tt-allbusy' } }],
        },
      },
    );
    const live = await h.sim.placeInboundCall();
    await waitFor(() => h!.app.registry.size === 1 && h!.app.registry.list()[0]!.state === 'active');
    const stopping = h.app.stop(10_000);
    await waitFor(() => !h!.app.accepting);
    const late = await h.sim.placeInboundCall();
    await late.ended;
    const types = h.sim
      .eventLog()
      .map((d) => d.event)
      .filter((e) =>
        'playback' in e ? e.playback.target_uri === `channel:${late.id}` : 'channel' in e && e.channel?.id === late.id,
      )
      .map((e) => e.type);
    expect(types.indexOf('PlaybackFinished')).toBeGreaterThan(types.indexOf('PlaybackStarted'));
    expect(types.indexOf('ChannelHangupRequest')).toBeGreaterThan(types.indexOf('PlaybackFinished'));
    // The call that was live when shutdown began is still up until it ends.
    expect(live.alive).toBe(true);
    await live.hangup();
    await stopping;
    expect(h.app.registry.size).toBe(0);
  });
});

describe('slin16 Stasis call', () => {
  let h: AriHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('sends slin16 frames (0x12, 640 B) from the first frame on, before Asterisk sends any audio', async () => {
    h = await startAriHarness(
      {},
      { routesJson: { routes: [{ name: 'wide', agent: { kind: 'echo' }, audioFormat: 'slin16' }] } },
    );
    const tone = generateTone({ rate: 16000, freq: 1000, amplitude: 6000, ms: 1000 });
    const caller = await h.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    await waitFor(() => h!.media.length === 1 && h!.media[0]!.framesReceived > 60, 10_000, 'frames from the adapter');
    const audio = h.media[0]!.received.filter((f) => f.kind !== 0x00);
    expect(audio.length).toBeGreaterThan(60);
    expect(audio.every((f) => f.kind === 0x12 && f.length === 640)).toBe(true);
    expect(h.app.registry.list()[0]!.info.legFormat.sampleRate).toBe(16000);
    await caller.hangup();
    await expectNothingLeft(h);
  });
});
