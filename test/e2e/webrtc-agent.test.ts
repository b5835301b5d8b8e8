import { afterEach, describe, expect, it } from 'vitest';
import { estimateFrequency, generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import type { WebRtcAgent } from '../../src/calls/agents/webrtc-agent.js';
import { type WebRtcEchoAgent, startWebRtcEchoAgent } from '../../src/simulator/agents/webrtc-echo-agent.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { toneWindowMatch } from '../support/audio-checks.js';
import { waitFor } from '../support/wait.js';
import { legAudio, quietLogger, recordEvents, webrtcAgentDeps } from './webrtc-support.js';

const SECRET = 'webrtc-agent-secret';

describe('WebRTC agent (werift peer) through the simulated Asterisk', () => {
  let h: AriHarness | undefined;
  let agent: WebRtcEchoAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  async function setup(
    agentRoute: Record<string, unknown>,
    agentOpts: Parameters<typeof startWebRtcEchoAgent>[0],
    route: Record<string, unknown> = {},
  ) {
    agent = await startWebRtcEchoAgent(agentOpts);
    h = await startAriHarness(
      { AGENT_SECRET: SECRET, AGENT_CONNECT_TIMEOUT_MS: '8000' },
      {
        routesJson: {
          routes: [
            {
              name: 'rtc',
              ...route,
              agent: { kind: 'webrtc', url: agent.url, secretEnv: 'AGENT_SECRET', ...agentRoute },
            },
          ],
        },
        agents: webrtcAgentDeps(
          () => h?.app,
          () => h!.logs.logger,
          {},
          { rtc: SECRET },
        ),
      },
    );
    return recordEvents(h.app);
  }

  it('PCMU on an 8 kHz leg: negotiated and recorded, no resampling, the tone comes back with frequency and level', async () => {
    const events = await setup({}, { secret: SECRET, logger: quietLogger() });
    const tone = generateTone({ rate: 8000, freq: 1000, amplitude: 8000, ms: 20_000 });
    const caller = await h!.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    const s = await agent!.waitForSession(0);
    const incoming = await s.waitForEvent('incoming');
    expect(incoming.media).toEqual({ transport: 'webrtc', codecs: ['PCMU', 'PCMA', 'opus'] });
    await s.waitForEvent('answer', () => true, 15_000);
    expect(s.codec).toBe('PCMU');
    expect(s.signals).toContain('offer');
    await waitFor(
      () => h!.media.length === 1 && legAudio(h!.media[0]!).length > 8000 * 2,
      20_000,
      'echo at the caller',
    );
    const m = toneWindowMatch(legAudio(h!.media[0]!), 8000, 1000, rmsDbfs(tone));
    expect(m.windows).toBeGreaterThanOrEqual(18);
    expect(m.share).toBeGreaterThanOrEqual(0.9);
    // The agent heard the caller's tone.
    expect(estimateFrequency(s.receivedAudio().subarray(800, 8800), 8000)).toBeCloseTo(1000, 0);
    const session = h!.app.registry.list()[0]!;
    const rtc = session.agent as WebRtcAgent;
    expect(rtc.stats.codec).toBe('PCMU');
    expect(rtc.stats.jitter.late).toBeLessThanOrEqual(2);
    // μ-law both ways on an 8 kHz leg: G.711 coding only, no resampler.
    expect(session.bridge!.converters.toAgent.resamples).toBe(false);
    expect(session.bridge!.converters.fromAgent.resamples).toBe(false);
    const negotiated = events.find((e) => e.type === 'webrtc.negotiated');
    expect(negotiated?.data).toMatchObject({ codec: 'PCMU', payloadType: 0 });
    await caller.hangup();
    await waitFor(() => h!.app.registry.size === 0, 10_000, 'call released');
    const hangup = await s.waitForEvent('hangup');
    expect(hangup.initiator).toBe('caller');
  }, 60_000);

  it('Opus on a 16 kHz leg: libopus works at the leg rate (no resampler), the tone comes back intact', async () => {
    const recorded = await setup({}, { secret: SECRET, logger: quietLogger() }, { audioFormat: 'slin16' });
    const tone = generateTone({ rate: 16000, freq: 700, amplitude: 8000, ms: 20_000 });
    const caller = await h!.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    const s = await agent!.waitForSession(0);
    const incoming = await s.waitForEvent('incoming');
    expect(incoming.media?.codecs[0]).toBe('opus');
    await s.waitForEvent('answer', () => true, 15_000);
    expect(s.codec).toBe('opus');
    await waitFor(
      () => h!.media.length === 1 && legAudio(h!.media[0]!).length > 16000 * 2,
      20_000,
      'echo at the caller',
    );
    const heard = legAudio(h!.media[0]!);
    // One Opus encode and decode at 32 kb/s: frequency exact, level within 1 dB (skip the codec's onset).
    const m = toneWindowMatch(heard.subarray(3200), 16000, 700, rmsDbfs(tone), { hzTolerance: 1, dbTolerance: 1 });
    expect(m.windows).toBeGreaterThanOrEqual(15);
    expect(m.share).toBeGreaterThanOrEqual(0.9);
    const agentHeard = s.receivedAudio();
    expect(estimateFrequency(agentHeard.subarray(48000 * 0.5, 48000 * 1.5), 48000)).toBeCloseTo(700, 0);
    const session = h!.app.registry.list()[0]!;
    expect(session.bridge!.converters.toAgent.isIdentity).toBe(true);
    expect(session.bridge!.converters.fromAgent.isIdentity).toBe(true);
    expect(recorded.find((e) => e.type === 'webrtc.negotiated')?.data).toMatchObject({ codec: 'opus' });
    await caller.hangup();
  }, 60_000);
});
