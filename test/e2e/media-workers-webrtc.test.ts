import { afterEach, describe, expect, it } from 'vitest';
import { estimateFrequency, generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import {
  startWebRtcEchoAgent,
  takeWaitingCall,
  type WebRtcAgentSession,
  type WebRtcEchoAgent,
} from '../../src/simulator/agents/webrtc-echo-agent.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { toneWindowMatch } from '../support/audio-checks.js';
import { untilClaimed } from '../support/until-claimed.js';
import { waitFor } from '../support/wait.js';
import { legAudio, quietLogger, recordEvents } from './webrtc-support.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const SECRET = 'webrtc-agent-secret';
const CONTROL = 'desk-control-token-0123456789';

describe('WebRTC agents on media workers (the peer connection runs where the call is)', () => {
  let h: AriHarness | undefined;
  let agent: WebRtcEchoAgent | undefined;
  const sessions: WebRtcAgentSession[] = [];
  afterEach(async () => {
    for (const s of sessions) s.close();
    sessions.length = 0;
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  }, 60_000);

  /** Each caller heard the echo of its own tone, and the agent heard the caller. */
  async function expectEcho(i: number, s: WebRtcAgentSession, tone: Int16Array, freq: number) {
    await waitFor(() => legAudio(h!.media[i]!).length > 8000 * 2, WAIT_MS, `echo at caller ${i}`);
    const m = toneWindowMatch(legAudio(h!.media[i]!), 8000, freq, rmsDbfs(tone));
    expect(m.share).toBeGreaterThanOrEqual(0.9);
    expect(estimateFrequency(s.receivedAudio().subarray(800, 8800), 8000)).toBeCloseTo(freq, 0);
  }

  it('2 workers, the adapter dials the agent (url): calls spread, each negotiates, is recorded and echoes', async () => {
    agent = await startWebRtcEchoAgent({ secret: SECRET, logger: quietLogger() });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET, MEDIA_WORKERS: '2' },
      {
        routesJson: {
          routes: [{ name: 'rtc', agent: { kind: 'webrtc', url: agent.url, secretEnv: 'AGENT_SECRET' } }],
        },
      },
    );
    const events = recordEvents(h.app);
    const freqs = [1000, 600];
    const tones = freqs.map((freq) => generateTone({ rate: 8000, freq, amplitude: 8000, ms: 20_000 }));
    const callers = [];
    for (const tone of tones) callers.push(await h.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } }));
    for (const c of callers) await waitFor(() => h!.app.registry.get(c.id)?.state === 'active', WAIT_MS, 'active');
    const ids = callers.map((c) => h!.app.registry.get(c.id)!.id);
    expect(new Set(ids.map((id) => h!.app.mediaWorkers!.workerOf(id)))).toEqual(new Set([0, 1]));
    for (let i = 0; i < 2; i++) {
      const s = await agent.waitForSession(i);
      const incoming = await s.waitForEvent('incoming');
      const index = ids.indexOf(incoming.callId);
      await expectEcho(index, s, tones[index]!, freqs[index]!);
      expect(s.codec).toBe('PCMU');
    }
    // The worker's agent recorded its negotiation on the call in the primary.
    await waitFor(() => events.filter((e) => e.type === 'webrtc.negotiated').length === 2, WAIT_MS, 'records');
    expect(events.find((e) => e.type === 'webrtc.negotiated')?.data).toMatchObject({ codec: 'PCMU' });
    for (const c of callers) await c.hangup();
    await waitFor(() => h!.app.registry.size === 0, WAIT_MS, 'calls released');
  }, 90_000);

  it('2 workers, agents take waiting calls at /v1/agent/webrtc: one waits first, one comes after its call', async () => {
    h = await startAriHarness(
      { HTTP_ENABLED: 'true', API_TOKENS: `desk:control:${CONTROL}`, MEDIA_WORKERS: '2' },
      { routesJson: { routes: [{ name: 'desk', agent: { kind: 'webrtc' } }] } },
    );
    const url = `ws://127.0.0.1:${h.app.http!.address!.port}/v1/agent/webrtc`;
    const logger = quietLogger();
    // This agent waits before any call exists (in the primary, where the endpoint is).
    const early = await takeWaitingCall({ url, token: CONTROL, route: 'desk', logger });
    sessions.push(early);
    const freqs = [1000, 600];
    const tones = freqs.map((freq) => generateTone({ rate: 8000, freq, amplitude: 8000, ms: 20_000 }));
    const first = await h.sim.placeInboundCall({ audio: { type: 'samples', samples: tones[0]! } });
    await waitFor(() => h!.app.registry.get(first.id) !== undefined, WAIT_MS, 'first call');
    expect((await early.waitForEvent('incoming', () => true, WAIT_MS)).callId).toBe(h.app.registry.get(first.id)!.id);
    // The second call waits for its agent, which then names it.
    const second = await h.sim.placeInboundCall({ audio: { type: 'samples', samples: tones[1]! } });
    await waitFor(() => h!.app.registry.get(second.id)?.state === 'connecting', WAIT_MS, 'second call waiting');
    const secondId = h.app.registry.get(second.id)!.id;
    const { session: late, incoming } = await untilClaimed(
      () => takeWaitingCall({ url, token: CONTROL, callId: secondId, logger }),
      (s) => s.waitForEvent('incoming', () => true, WAIT_MS),
      { onSession: (s) => sessions.push(s) },
    );
    expect(incoming.callId).toBe(secondId);
    for (const c of [first, second])
      await waitFor(() => h!.app.registry.get(c.id)?.state === 'active', WAIT_MS, 'active');
    const ids = [first, second].map((c) => h!.app.registry.get(c.id)!.id);
    expect(new Set(ids.map((id) => h!.app.mediaWorkers!.workerOf(id)))).toEqual(new Set([0, 1]));
    await expectEcho(0, early, tones[0]!, freqs[0]!);
    await expectEcho(1, late, tones[1]!, freqs[1]!);
    await first.hangup();
    expect((await early.waitForEvent('hangup', () => true, WAIT_MS)).initiator).toBe('caller');
  }, 90_000);
});
