import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import {
  callerSaying,
  onlySession,
  type RealtimeHarness,
  speechSamples,
  startRealtimeHarness,
} from '../support/realtime-harness.js';
import { waitFor } from '../support/wait.js';

const LONG_GREETING =
  'Welcome to the restaurant. Today we have a long list of specials that I will now read to you in full.';

/** Milliseconds of voiced audio the simulated chan_websocket channel played (frames with a sample over 200). */
function playedVoicedMs(rt: RealtimeHarness): number {
  const conn = rt.h.sim.mediaWebSockets()[0];
  if (!conn) return 0;
  return conn.played.filter((f) => pcmSamples(f.data).some((v) => Math.abs(v) > 200)).length * 20;
}

describe('OpenAI Realtime agent over chan_websocket', () => {
  let rt: RealtimeHarness | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  it('Asterisk pacing: the truncate carries what Asterisk acknowledged playing (±20 ms), not what was sent', async () => {
    rt = await startRealtimeHarness({
      route: { media: 'websocket' },
      env: { CHAN_WEBSOCKET_PACING: 'asterisk', CHAN_WEBSOCKET_LEAD_MS: '1500' },
      agent: { greeting: 'Read the specials.' },
      sim: {
        speed: 10,
        script: ({ index }) =>
          index === 0 ? { audioMs: 8000, transcript: LONG_GREETING } : { audioMs: 600, transcript: 'Of course.' },
      },
    });
    const { h, sim } = rt;
    await h.sim.placeInboundCall({
      audio: { type: 'samples', samples: callerSaying(speechSamples('hello-8k'), 8000, 2200) },
    });
    const s = await sim.waitForSession(0);
    await waitFor(() => h.app.registry.size === 1 && onlySession(h).state === 'active');
    const truncation = await s.waitFor(() => s.truncations[0], 'a truncate', 20_000);
    expect(truncation.accepted).toBe(true);
    expect(truncation.audioEndMs).toBeGreaterThan(500);
    expect(truncation.audioEndMs).toBeLessThan(4000);
    const conn = h.sim.mediaWebSockets()[0]!;
    await waitFor(() => conn.commands.includes('{"command":"FLUSH_MEDIA"}'), 2000, 'FLUSH_MEDIA');
    await new Promise((r) => setTimeout(r, 300));
    // Up to 1.5 s went out ahead of playout; the truncate still matches what was played.
    expect(Math.abs(playedVoicedMs(rt) - truncation.audioEndMs)).toBeLessThanOrEqual(20);
    expect(conn.violations).toEqual([]);
  }, 30_000);
});
