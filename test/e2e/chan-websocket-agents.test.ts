import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, goertzelPower } from '../../src/audio/tone-analysis.js';
import { startTwilioDialectAgent, type TwilioDialectAgent } from '../../src/simulator/agents/twilio-dialect-agent.js';
import {
  type ChanWebSocketHarness,
  startChanWebSocketHarness,
  websocketRoutes,
} from '../support/chan-websocket-harness.js';
import { waitFor } from '../support/wait.js';

describe('agents over chan_websocket', () => {
  let h: ChanWebSocketHarness | undefined;
  let agent: TwilioDialectAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  it('Twilio dialect with Asterisk pacing: a mark comes back only once Asterisk played the audio before it', async () => {
    const tone = generateTone({ rate: 8000, freq: 700, amplitude: 8000, ms: 1000 });
    agent = await startTwilioDialectAgent({ mode: 'play', audio: Buffer.from(tone.buffer) });
    h = await startChanWebSocketHarness(
      { CHAN_WEBSOCKET_PACING: 'asterisk', CHAN_WEBSOCKET_LEAD_MS: '2000' },
      { routesJson: websocketRoutes({ kind: 'twilio', url: agent.url }, { bargeIn: { enabled: false } }) },
    );
    await h.sim.placeInboundCall({});
    const s = await agent.waitForSession(0);
    await s.waitForMessage('start');
    const played = () =>
      h!.media[0]?.played.filter((f) => goertzelPower(pcmSamples(f.data), 8000, 700) > 1e5).length ?? 0;
    // Each 20 ms chunk is followed by a mark; the n-th acknowledgement needs n frames played by Asterisk.
    const acks = await s.waitForMarkAcks(10, 10_000);
    expect(acks.length).toBeGreaterThanOrEqual(10);
    const playedNow = played();
    expect(playedNow).toBeGreaterThanOrEqual(9);
    // Audio went out ahead of playout (2 s of lead), yet marks follow what Asterisk played, not what was sent.
    expect(h.media[0]!.binarySizes.length).toBeGreaterThanOrEqual(playedNow + 5);
    expect(s.ackedMarks.length).toBeLessThanOrEqual(playedNow + 1);
    await s.waitForMarkAcks(50, 10_000);
    await waitFor(() => played() >= 49, 3000, 'all played');
    expect(h.media[0]!.violations).toEqual([]);
  }, 30_000);
});
