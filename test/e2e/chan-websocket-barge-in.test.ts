import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, goertzelPower } from '../../src/audio/tone-analysis.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import {
  type ChanWebSocketHarness,
  startChanWebSocketHarness,
  websocketRoutes,
} from '../support/chan-websocket-harness.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'cw-barge-in-secret';
/** Speech ("Hello, I would like a table.") from 1.000 s to 2.476 s, silence around it. */
const ONSET_WAV = fileURLToPath(new URL('../fixtures/speech/onset-8k.wav', import.meta.url));
/** 5 s of agent speech stand-in: a 440 Hz tone at 16 kHz, sent to the adapter all at once. */
const AGENT_AUDIO = Buffer.from(generateTone({ rate: 16000, freq: 440, amplitude: 7000, ms: 5000 }).buffer);

/** Frames of agent audio the simulated channel played out (440 Hz energy). */
function playedAgentFrames(h: ChanWebSocketHarness): number {
  return h.media[0]!.played.filter((f) => goertzelPower(pcmSamples(f.data), 8000, 440) > 1e5).length;
}

const agentRoute = (url: string) => ({ kind: 'websocket', url, secretEnv: 'AGENT_SECRET' });

describe('chan_websocket barge-in: what was heard comes from MEDIA_MARK_PROCESSED', () => {
  let h: ChanWebSocketHarness | undefined;
  let agent: NativeEchoAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  for (const pacing of ['clock', 'asterisk'] as const) {
    it(`pacing ${pacing}: FLUSH_MEDIA on caller speech, interruption.playedMs matches what Asterisk played (±20 ms)`, async () => {
      agent = await startNativeEchoAgent({ mode: 'burst', secret: SECRET, audio: AGENT_AUDIO });
      h = await startChanWebSocketHarness(
        { AGENT_SECRET: SECRET, VAD: 'silero', CHAN_WEBSOCKET_PACING: pacing, CHAN_WEBSOCKET_LEAD_MS: '1000' },
        { routesJson: websocketRoutes(agentRoute(agent.url)) },
      );
      await h.sim.placeInboundCall({ audio: { type: 'wav', path: ONSET_WAV } });
      const s = await agent.waitForSession(0);
      const interruption = await s.waitForEvent('interruption', () => true, 20_000);
      expect(interruption.totalMs).toBe(5000);
      expect(interruption.playedMs).toBeGreaterThan(500);
      expect(interruption.playedMs).toBeLessThan(5000);
      const conn = h.media[0]!;
      await waitFor(() => conn.commands.includes('{"command":"FLUSH_MEDIA"}'), 2000, 'FLUSH_MEDIA received');
      // Frames in flight settle, then nothing more of the utterance is played.
      await new Promise((r) => setTimeout(r, 200));
      const heardMs = playedAgentFrames(h) * 20;
      expect(Math.abs(heardMs - interruption.playedMs)).toBeLessThanOrEqual(20);
      await new Promise((r) => setTimeout(r, 300));
      expect(playedAgentFrames(h) * 20).toBe(heardMs);
      expect(conn.violations).toEqual([]);
      const session = h.app.registry.list()[0]!;
      expect(session.bridge!.stats.bargeIns).toBe(1);
      expect(conn.commands.filter((c) => c === '{"command":"FLUSH_MEDIA"}')).toHaveLength(1);
      expect(conn.events.some((e) => e.includes('"MEDIA_MARK_PROCESSED"'))).toBe(true);
    }, 30_000);
  }

  it('XOFF stops sending and XON resumes it; the playout buffer holds the audio, nothing is lost', async () => {
    agent = await startNativeEchoAgent({ mode: 'burst', secret: SECRET, audio: AGENT_AUDIO.subarray(0, 32000 * 3) });
    h = await startChanWebSocketHarness(
      { AGENT_SECRET: SECRET, CHAN_WEBSOCKET_PACING: 'asterisk', CHAN_WEBSOCKET_LEAD_MS: '3000' },
      { routesJson: websocketRoutes(agentRoute(agent.url)) },
      { chanWebSocket: { queueMaxFrames: 60, xoffLevel: 50, xonLevel: 40 } },
    );
    await h.sim.placeInboundCall({});
    const s = await agent.waitForSession(0);
    const end = await s.waitForEvent('trackEnd', () => true, 15_000);
    expect(end.durationMs).toBe(3000);
    const conn = h.media[0]!;
    expect(conn.events.some((e) => e.includes('MEDIA_XOFF'))).toBe(true);
    expect(conn.events.some((e) => e.includes('MEDIA_XON'))).toBe(true);
    expect(conn.queueFullDrops).toBe(0);
    await waitFor(() => playedAgentFrames(h!) >= 150, 5000, 'all agent audio played');
    expect(playedAgentFrames(h)).toBe(150);
    // Sending without regard to XOFF would have overrun the 60-frame queue (150 frames of lead).
    expect(conn.queueFullDrops).toBe(0);
  }, 30_000);
});
