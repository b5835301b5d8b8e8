import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { estimateFrequency, generateTone, goertzelPower, rmsDbfs } from '../../src/audio/tone-analysis.js';
import type { WebRtcAgent } from '../../src/calls/agents/webrtc-agent.js';
import {
  startWebRtcEchoAgent,
  type WebRtcAgentSession,
  type WebRtcEchoAgent,
} from '../../src/simulator/agents/webrtc-echo-agent.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import {
  type ChanWebSocketHarness,
  startChanWebSocketHarness,
  websocketRoutes,
} from '../support/chan-websocket-harness.js';
import { callerSaying, speechSamples } from '../support/realtime-harness.js';
import { waitFor } from '../support/wait.js';
import { quietLogger, recordEvents, webrtcAgentDeps } from './webrtc-support.js';

const SECRET = 'cw-webrtc-secret';
const FLUSH = '{"command":"FLUSH_MEDIA"}';

/** Agent audio the simulated chan_websocket channel played to the caller, silence trimmed. */
function playedSamples(h: ChanWebSocketHarness): Int16Array {
  return trimSilence(pcmSamples(Buffer.concat(h.media[0]!.played.map((f) => f.data))));
}

/** Frames the simulated channel played that carry a `freq` tone. */
function playedToneFrames(h: ChanWebSocketHarness, rate: number, freq: number): number {
  return h.media[0]?.played.filter((f) => goertzelPower(pcmSamples(f.data), rate, freq) > 1e5).length ?? 0;
}

describe('WebRTC agent (werift peer) over chan_websocket', () => {
  let h: ChanWebSocketHarness | undefined;
  let agent: WebRtcEchoAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  /** The echo agent on a `media: websocket` route (named `ws`); the call's lifecycle events, recorded. */
  async function setup(agentRoute: Record<string, unknown> = {}, route: Record<string, unknown> = {}, env = {}) {
    agent = await startWebRtcEchoAgent({ secret: SECRET, logger: quietLogger() });
    h = await startChanWebSocketHarness(
      { AGENT_SECRET: SECRET, AGENT_CONNECT_TIMEOUT_MS: '8000', ...env },
      {
        routesJson: websocketRoutes(
          { kind: 'webrtc', url: agent.url, secretEnv: 'AGENT_SECRET', ...agentRoute },
          route,
        ),
        agents: webrtcAgentDeps(
          () => h?.app,
          () => h!.logs.logger,
          {},
          { ws: SECRET },
        ),
      },
    );
    return recordEvents(h.app);
  }

  async function connected(codec: string): Promise<WebRtcAgentSession> {
    const s = await agent!.waitForSession(0);
    await s.waitForEvent('answer', () => true, 15_000);
    expect(s.codec).toBe(codec);
    return s;
  }

  async function expectReleased(): Promise<void> {
    await waitFor(() => h!.app.registry.size === 0, 10_000, 'call released');
    await h!.media[0]!.closed;
    await waitFor(() => h!.sim.channels().length === 0 && h!.sim.bridges().length === 0, 10_000, 'nothing left');
  }

  it('PCMU on slin: the caller tone reaches the agent and its echo is played as whole 320-byte frames; caller hangup', async () => {
    const events = await setup();
    const tone = generateTone({ rate: 8000, freq: 1000, amplitude: 8000, ms: 20_000 });
    const caller = await h!.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    const s = await connected('PCMU');
    await waitFor(() => h!.media.length === 1 && playedSamples(h!).length > 8000 * 2, 20_000, 'echo played');
    const conn = h!.media[0]!;
    expect(conn.format).toBe('slin');
    const m = toneWindowMatch(playedSamples(h!), 8000, 1000, rmsDbfs(tone));
    expect(m.windows).toBeGreaterThanOrEqual(18);
    expect(m.share).toBeGreaterThanOrEqual(0.9);
    // The agent heard the caller's tone, sent over the chan_websocket leg.
    expect(estimateFrequency(s.receivedAudio().subarray(800, 8800), 8000)).toBeCloseTo(1000, 0);
    // Whole optimal-size frames only, agent audio followed by marks that Asterisk acknowledged.
    expect(conn.violations).toEqual([]);
    expect(new Set(conn.binarySizes)).toEqual(new Set([320]));
    expect(conn.commands.some((c) => c.startsWith('{"command":"MARK_MEDIA"'))).toBe(true);
    expect(conn.events.some((e) => e.includes('"MEDIA_MARK_PROCESSED"'))).toBe(true);
    const session = h!.app.registry.list()[0]!;
    expect((session.agent as WebRtcAgent).stats.codec).toBe('PCMU');
    expect(session.bridge!.converters.toAgent.resamples).toBe(false);
    expect(session.bridge!.converters.fromAgent.resamples).toBe(false);
    expect(events.find((e) => e.type === 'webrtc.negotiated')?.data).toMatchObject({ codec: 'PCMU' });
    await caller.hangup();
    await session.done;
    expect(session.endSummary).toMatchObject({ reason: 'caller_hangup' });
    expect(events.find((e) => e.type === 'call.ended')?.data).toMatchObject({ reason: 'caller_hangup' });
    expect((await s.waitForEvent('hangup')).initiator).toBe('caller');
    await expectReleased();
  }, 60_000);

  it('Opus on slin16: no resampler, the echo comes back as whole 640-byte frames; agent hangup', async () => {
    const events = await setup({}, { audioFormat: 'slin16' });
    const tone = generateTone({ rate: 16000, freq: 700, amplitude: 8000, ms: 20_000 });
    const caller = await h!.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    const s = await connected('opus');
    await waitFor(() => h!.media.length === 1 && playedSamples(h!).length > 16000 * 2, 20_000, 'echo played');
    const conn = h!.media[0]!;
    expect(conn.format).toBe('slin16');
    // One Opus encode and decode each way: frequency exact, level within 1 dB (skip the codec's onset).
    const m = toneWindowMatch(playedSamples(h!).subarray(3200), 16000, 700, rmsDbfs(tone), { dbTolerance: 1 });
    expect(m.windows).toBeGreaterThanOrEqual(15);
    expect(m.share).toBeGreaterThanOrEqual(0.9);
    expect(estimateFrequency(s.receivedAudio().subarray(24000, 72000), 48000)).toBeCloseTo(700, 0);
    expect(conn.violations).toEqual([]);
    expect(new Set(conn.binarySizes)).toEqual(new Set([640]));
    const session = h!.app.registry.list()[0]!;
    expect(session.bridge!.converters.toAgent.isIdentity).toBe(true);
    expect(session.bridge!.converters.fromAgent.isIdentity).toBe(true);
    expect(events.find((e) => e.type === 'webrtc.negotiated')?.data).toMatchObject({ codec: 'opus' });
    s.sendCommand({ command: 'hangup', reason: 'done' });
    await caller.ended;
    await session.done;
    expect(session.endSummary).toMatchObject({ reason: 'agent_hangup' });
    expect(await s.waitForEvent('hangup')).toMatchObject({ reason: 'agent_hangup', initiator: 'agent' });
    await expectReleased();
  }, 60_000);

  const faults = [
    { what: 'peer connection closed', code: 'WEBRTC_CONNECTION_LOST', cut: (s: WebRtcAgentSession) => s.closePeer() },
    { what: 'control channel dropped', code: 'AGENT_DISCONNECTED', cut: (s: WebRtcAgentSession) => s.close(1011) },
  ];
  for (const f of faults) {
    it(`agent ${f.what} mid-call: the call ends with agent_failed (${f.code}), the media socket closes`, async () => {
      const events = await setup({ mediaTimeoutMs: 2000 });
      const caller = await h!.sim.placeInboundCall({});
      const s = await connected('PCMU');
      await waitFor(() => h!.app.registry.list()[0]?.bridge !== undefined, 5000, 'bridged');
      const session = h!.app.registry.list()[0]!;
      await f.cut(s);
      await caller.ended;
      await session.done;
      expect(events.find((e) => e.type === 'webrtc.failed')?.data).toMatchObject({ code: f.code });
      expect(session.endSummary).toMatchObject({ reason: 'agent_failed' });
      expect(events.find((e) => e.type === 'call.ended')?.data).toMatchObject({ reason: 'agent_failed' });
      await expectReleased();
    }, 30_000);
  }

  for (const pacing of ['clock', 'asterisk'] as const) {
    it(`pacing ${pacing}: caller speech while the echoed tone plays sends FLUSH_MEDIA and interrupts the agent`, async () => {
      await setup(
        { codecs: ['PCMU'] },
        {},
        { VAD: 'silero', CHAN_WEBSOCKET_PACING: pacing, CHAN_WEBSOCKET_LEAD_MS: '1000' },
      );
      // A 400 Hz tone the agent echoes back, then speech over it (5 s in: after the WebRTC media is up).
      const audio = callerSaying(speechSamples('hello-8k'), 8000, 5000);
      const tone = generateTone({ rate: 8000, freq: 400, amplitude: 3000, ms: 5000 });
      audio.set(tone);
      await h!.sim.placeInboundCall({ audio: { type: 'samples', samples: audio } });
      const s = await connected('PCMU');
      const interruption = await s.waitForEvent('interruption', () => true, 20_000);
      const conn = h!.media[0]!;
      const callerFrames = conn.callerFramesSent;
      const playedFrames = conn.played.length;
      await waitFor(() => conn.commands.includes(FLUSH), 2000, 'FLUSH_MEDIA received');
      // The speech barged in (within 1.5 s of its onset at frame 250), not the tone before it.
      expect(callerFrames).toBeGreaterThan(250);
      expect(callerFrames).toBeLessThan(325);
      // The agent's echo of the tone was what played when the caller spoke, and what was heard of it is no more
      // than the simulated Asterisk had played.
      expect(playedToneFrames(h!, 8000, 400)).toBeGreaterThanOrEqual(150);
      // The echo is one utterance while its RTP stream runs; a stall of the loaded machine may pause the stream and
      // start a new one, so only the last utterance's share of the 3 s of tone is certain to be in `playedMs`.
      expect(interruption.playedMs).toBeGreaterThan(0);
      expect(interruption.playedMs).toBeLessThanOrEqual(playedFrames * 20);
      expect(interruption.totalMs).toBeGreaterThanOrEqual(interruption.playedMs);
      expect(h!.app.registry.list()[0]!.bridge!.stats.bargeIns).toBe(1);
      expect(conn.commands.filter((c) => c === FLUSH)).toHaveLength(1);
      expect(conn.violations).toEqual([]);
    }, 30_000);
  }
});
