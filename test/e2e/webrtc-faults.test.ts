import { afterEach, describe, expect, it } from 'vitest';
import { generateTone, goertzelPower, rmsDbfs } from '../../src/audio/tone-analysis.js';
import type { WebRtcAgent } from '../../src/calls/agents/webrtc-agent.js';
import { startWebRtcEchoAgent, type WebRtcEchoAgent } from '../../src/simulator/agents/webrtc-echo-agent.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { waitFor } from '../support/wait.js';
import { legAudio, quietLogger, recordEvents, webrtcAgentDeps } from './webrtc-support.js';

const SECRET = 'webrtc-faults-secret';

describe('WebRTC agent faults', () => {
  let h: AriHarness | undefined;
  let agent: WebRtcEchoAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  async function setup(
    agentOpts: Omit<Parameters<typeof startWebRtcEchoAgent>[0], 'logger' | 'secret'>,
    route: Record<string, unknown>,
    env: Record<string, string> = {},
  ) {
    agent = await startWebRtcEchoAgent({ ...agentOpts, secret: SECRET, logger: quietLogger() });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET, AGENT_CONNECT_TIMEOUT_MS: '8000', ...env },
      {
        routesJson: {
          routes: [
            {
              name: 'rtc',
              ...route,
              agent: { kind: 'webrtc', url: agent.url, secretEnv: 'AGENT_SECRET', ...(route.agent as object) },
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

  it('Opus with packets lost and reordered: concealed and put back in order, the tone stays continuous', async () => {
    await setup({ impair: { dropEvery: 10, swapEvery: 7 } }, { audioFormat: 'slin16', agent: { codecs: ['opus'] } });
    const tone = generateTone({ rate: 16000, freq: 500, amplitude: 8000, ms: 20_000 });
    const caller = await h!.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    const s = await agent!.waitForSession(0);
    await s.waitForEvent('answer', () => true, 15_000);
    await waitFor(() => s.rtpDropped >= 12 && s.rtpSwapped >= 12, 20_000, 'impaired echo');
    await waitFor(
      () => h!.media.length === 1 && legAudio(h!.media[0]!).length > 16000 * 3,
      20_000,
      'echo at the caller',
    );
    const rtc = h!.app.registry.list()[0]!.agent as WebRtcAgent;
    const jb = rtc.stats.jitter;
    // Every dropped packet was concealed once, every swap was undone, (next to) nothing arrived too late.
    expect(jb.concealed).toBeGreaterThanOrEqual(s.rtpDropped - 2);
    expect(jb.reordered).toBeGreaterThanOrEqual(s.rtpSwapped - 2);
    expect(jb.late).toBeLessThanOrEqual(2);
    // Opus concealment fills the gaps: silence insertion would leave a hole per lost packet (15 or so); at most a
    // couple may come from a machine too busy to keep the 20 ms ticks. In every 100 ms window the tone keeps its level
    // (within 4 dB; concealed frames fade), and in nearly every one it carries most of the energy (loss costs the
    // phase, not the tone).
    const heard = legAudio(h!.media[0]!).subarray(3200, 16000 * 3);
    expect(silentRuns(heard, 16000).length).toBeLessThanOrEqual(2);
    const level = rmsDbfs(tone);
    const shares: number[] = [];
    for (let i = 0; i + 1600 <= heard.length; i += 1600) {
      const w = heard.subarray(i, i + 1600);
      expect(Math.abs(rmsDbfs(w) - level)).toBeLessThan(4);
      shares.push(toneShare(w, 16000, 500));
    }
    const windows = shares.length;
    expect(shares.filter((x) => x > 0.6).length / windows).toBeGreaterThanOrEqual(0.9);
    expect(windows).toBeGreaterThanOrEqual(25);
    await caller.hangup();
  }, 60_000);

  it('PCMU with packets lost: each gap is filled with one 20 ms of silence, the audio keeps its length', async () => {
    await setup({ impair: { dropEvery: 8 } }, { agent: { codecs: ['PCMU'] } });
    const tone = generateTone({ rate: 8000, freq: 1000, amplitude: 8000, ms: 20_000 });
    const caller = await h!.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    const s = await agent!.waitForSession(0);
    await s.waitForEvent('answer', () => true, 15_000);
    await waitFor(() => s.rtpDropped >= 10, 20_000, 'impaired echo');
    await waitFor(() => h!.media.length === 1 && legAudio(h!.media[0]!).length > 8000 * 2, 20_000, 'echo');
    const rtc = h!.app.registry.list()[0]!.agent as WebRtcAgent;
    expect(rtc.stats.jitter.concealed).toBeGreaterThanOrEqual(s.rtpDropped - 2);
    // Each lost packet leaves one packet-long hole of silence (a busy machine may add a rare longer one).
    const heard = legAudio(h!.media[0]!).subarray(0, 8000 * 2);
    const holes = silentRuns(heard, 8000);
    const oneFrame = holes.filter((ms) => ms >= 17 && ms <= 21).length;
    expect(oneFrame).toBeGreaterThanOrEqual(5);
    expect(oneFrame / holes.length).toBeGreaterThanOrEqual(0.8);
    await caller.hangup();
  }, 60_000);

  it('ICE never connects: the caller gets the fallback and the cause is recorded', async () => {
    const events = await setup(
      { ignoreStun: true },
      { fallback: { action: 'play', media: 'sound:tt-allbusy' } },
      { AGENT_CONNECT_TIMEOUT_MS: '3000' },
    );
    const caller = await h!.sim.placeInboundCall();
    await caller.ended;
    await waitFor(() => h!.app.registry.size === 0, 10_000, 'call released');
    const failed = events.find((e) => e.type === 'agent.failed');
    expect(failed?.data).toMatchObject({ code: 'WEBRTC_ICE_FAILED' });
    expect(events.find((e) => e.type === 'call.ended')?.data).toMatchObject({ reason: 'agent_failed' });
    const played = h!.sim
      .eventLog()
      .map((d) => d.event)
      .filter((e) => 'playback' in e && e.playback.target_uri === `channel:${caller.id}`)
      .map((e) => e.type);
    expect(played).toContain('PlaybackStarted');
    const s = await agent!.waitForSession(0);
    const hangup = await s.waitForEvent('hangup');
    expect(hangup.reason).toBe('agent_failed');
  }, 30_000);

  it('DTLS fingerprint mismatch: the caller gets the fallback and the cause is recorded', async () => {
    const events = await setup(
      { tamperFingerprint: true },
      { fallback: { action: 'play', media: 'sound:tt-allbusy' } },
    );
    const caller = await h!.sim.placeInboundCall();
    await caller.ended;
    await waitFor(() => h!.app.registry.size === 0, 10_000, 'call released');
    expect(events.find((e) => e.type === 'agent.failed')?.data).toMatchObject({ code: 'WEBRTC_DTLS_FAILED' });
    expect(events.find((e) => e.type === 'call.ended')?.data).toMatchObject({ reason: 'agent_failed' });
  }, 30_000);

  it('the agent peer connection going away mid-call ends the agent leg with the fallback and the cause', async () => {
    const events = await setup({}, { agent: { mediaTimeoutMs: 2000 } });
    const caller = await h!.sim.placeInboundCall();
    const s = await agent!.waitForSession(0);
    await s.waitForEvent('answer', () => true, 15_000);
    await s.closePeer();
    await caller.ended;
    await waitFor(() => h!.app.registry.size === 0, 10_000, 'call released');
    expect(events.find((e) => e.type === 'webrtc.failed')?.data).toMatchObject({ code: 'WEBRTC_CONNECTION_LOST' });
    expect(events.find((e) => e.type === 'call.ended')?.data).toMatchObject({ reason: 'agent_failed' });
  }, 30_000);

  it('the agent dropping its control channel mid-call ends the agent leg with the fallback', async () => {
    const events = await setup({}, {});
    const caller = await h!.sim.placeInboundCall();
    const s = await agent!.waitForSession(0);
    await s.waitForEvent('answer', () => true, 15_000);
    s.close(1011, 'agent crashed');
    await caller.ended;
    await waitFor(() => h!.app.registry.size === 0, 10_000, 'call released');
    expect(events.find((e) => e.type === 'webrtc.failed')?.data).toMatchObject({ code: 'AGENT_DISCONNECTED' });
    expect(events.find((e) => e.type === 'call.ended')?.data).toMatchObject({ reason: 'agent_failed' });
  }, 30_000);
});

/** Lengths in ms of runs of digital silence (|v| < 64) inside `samples`, leading and trailing runs excluded. */
function silentRuns(samples: Int16Array, rate: number): number[] {
  const runs: number[] = [];
  let run = 0;
  for (const v of samples) {
    if (Math.abs(v) < 64) run += 1;
    else {
      // Zero crossings of the tone itself are a sample or two long.
      if (run > rate / 1000) runs.push((run * 1000) / rate);
      run = 0;
    }
  }
  return runs;
}

/** Share of a window's energy at `freq`. */
function toneShare(w: Int16Array, rate: number, freq: number): number {
  let energy = 0;
  for (const v of w) energy += v * v;
  return goertzelPower(w, rate, freq) / (energy / w.length);
}
