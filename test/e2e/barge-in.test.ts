import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTone } from '../../src/audio/tone-analysis.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { toneFrames } from '../support/audio-checks.js';

const SECRET = 'barge-in-secret';
/** Speech ("Hello, I would like a table.") from 1.000 s to 2.476 s, silence around it. */
const ONSET_WAV = fileURLToPath(new URL('../fixtures/speech/onset-8k.wav', import.meta.url));

/** 5 s of agent speech stand-in: a 440 Hz tone at 16 kHz, sent to the adapter all at once. */
const AGENT_AUDIO = Buffer.from(generateTone({ rate: 16000, freq: 440, amplitude: 7000, ms: 5000 }).buffer);

/** Frames of agent audio the simulated Asterisk received (440 Hz energy), with their arrival times. */
function agentFrames(h: AriHarness): { at: number }[] {
  return toneFrames(h.media[0]!.received, 8000, 440);
}

describe('barge-in with real speech (Silero VAD)', () => {
  let h: AriHarness | undefined;
  let agent: NativeEchoAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  async function setup(protectedBurst: boolean) {
    agent = await startNativeEchoAgent({ mode: 'burst', secret: SECRET, audio: AGENT_AUDIO, protectedBurst });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET, VAD: 'silero' },
      {
        routesJson: {
          routes: [{ name: 'native', agent: { kind: 'websocket', url: agent.url, secretEnv: 'AGENT_SECRET' } }],
        },
      },
    );
    await h.sim.placeInboundCall({ audio: { type: 'wav', path: ONSET_WAV } });
    return agent.waitForSession(0);
  }

  it('flushes playout when the caller speaks and tells the agent exactly how much was heard', async () => {
    const s = await setup(false);
    const speaking = await s.waitForEvent('speaking', () => true, 20_000);
    // Speech starts 1.000 s into the caller's audio; the detector needs ~160 ms of it.
    expect(speaking.atMs).toBeGreaterThanOrEqual(950);
    expect(speaking.atMs).toBeLessThanOrEqual(1500);
    const interruption = await s.waitForEvent('interruption', () => true, 10_000);
    expect(interruption.totalMs).toBe(5000);
    expect(interruption.playedMs).toBeGreaterThan(500);
    expect(interruption.playedMs).toBeLessThan(5000);
    // Wait for the frames in flight, then compare with what Asterisk actually got.
    await new Promise((r) => setTimeout(r, 300));
    const heardMs = agentFrames(h!).length * 20;
    expect(Math.abs(heardMs - interruption.playedMs)).toBeLessThanOrEqual(20);
    // Nothing of the utterance is sent after the flush.
    const before = agentFrames(h!).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(agentFrames(h!).length).toBe(before);
    expect(h!.app.registry.list()[0]!.bridge!.stats.bargeIns).toBe(1);
  }, 30_000);

  it('does not interrupt a protected utterance, but still reports the caller speaking', async () => {
    const s = await setup(true);
    await s.waitForEvent('speaking', () => true, 20_000);
    const end = await s.waitForEvent('trackEnd', () => true, 20_000);
    expect(end.durationMs).toBe(5000);
    expect(s.events.some((e) => e.event === 'interruption')).toBe(false);
    expect(agentFrames(h!).length).toBeGreaterThanOrEqual(249);
  }, 30_000);
});
