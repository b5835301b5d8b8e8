import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import {
  callerSaying,
  onlySession,
  type RealtimeHarness,
  speechSamples,
  startRealtimeHarness,
  voicedMs,
} from '../support/realtime-harness.js';

const LONG_GREETING =
  'Welcome to the restaurant. Today we have a long list of specials that I will now read to you in full.';

describe('OpenAI Realtime agent: barge-in truncates to what the caller actually heard', () => {
  let rt: RealtimeHarness | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  for (const leg of [
    { name: '8 kHz leg, μ-law session, response still streaming', audioFormat: 'slin', rate: 8000, speed: 1 },
    {
      name: '16 kHz leg, 24 kHz PCM session, response already complete',
      audioFormat: 'slin16',
      rate: 16000,
      speed: 10,
    },
  ] as const) {
    it(leg.name, async () => {
      rt = await startRealtimeHarness({
        route: { audioFormat: leg.audioFormat },
        agent: { greeting: 'Read the specials.' },
        sim: {
          speed: leg.speed,
          script: ({ index }) =>
            index === 0 ? { audioMs: 8000, transcript: LONG_GREETING } : { audioMs: 600, transcript: 'Of course.' },
        },
      });
      const { h, sim, transcripts } = rt;
      const speech = speechSamples(leg.rate === 8000 ? 'hello-8k' : 'hello-16k');
      const caller = await h.sim.placeInboundCall({
        audio: { type: 'samples', samples: callerSaying(speech, leg.rate, 2200) },
      });
      const s = await sim.waitForSession(0);
      await waitFor(() => h.app.registry.size === 1 && onlySession(h).state === 'active');
      const session = onlySession(h);
      const conv = session.bridge!.converters;
      if (leg.rate === 8000) {
        expect(s.state.outputFormat.type).toBe('audio/pcmu');
        expect(conv.fromAgent.resamples).toBe(false);
      } else {
        // One resampling step each way, 16 kHz ⇄ 24 kHz.
        expect(s.state.outputFormat).toEqual({ type: 'audio/pcm', rate: 24000 });
        expect(conv.toAgent.resamples).toBe(true);
        expect(conv.fromAgent.resamples).toBe(true);
        expect(conv.toAgent.to.sampleRate).toBe(24000);
      }
      // The caller starts talking about 2.2 s into the call, over the 8 s greeting.
      const truncation = await s.waitFor(() => s.truncations[0], 'a truncate', 20_000);
      expect(truncation.accepted).toBe(true);
      const greetingItem = s.responses[0]!.items[0]!;
      expect(truncation.itemId).toBe(greetingItem.id);
      expect(truncation.audioEndMs).toBeGreaterThan(500);
      expect(truncation.audioEndMs).toBeLessThan(4000);
      expect(truncation.audioEndMs).toBeLessThanOrEqual(truncation.itemAudioMs);
      // What the simulated Asterisk actually received of the greeting, ±20 ms: give in-flight frames time to land.
      await new Promise((r) => setTimeout(r, 300));
      const heard = voicedMs(h, leg.rate);
      expect(Math.abs(heard - truncation.audioEndMs)).toBeLessThanOrEqual(20);
      // The greeting's response was stopped: cancelled by the server's turn detection (and our cancel, if it was
      // still active, answered with the benign response_cancel_not_active), or it had already finished.
      const first = s.responses[0]!;
      if (leg.speed === 1) expect(first.status).toBe('cancelled');
      else expect(first.status).toBe('completed');
      expect(s.errors.filter((e) => e.code !== 'response_cancel_not_active')).toEqual([]);
      // The transcript records the greeting as cut short, with what was played.
      await waitFor(() => transcripts.turns.some((t) => t.role === 'agent' && t.truncated), 10_000, 'truncated turn');
      const turn = transcripts.turns.find((t) => t.itemId === greetingItem.id)!;
      expect(turn).toMatchObject({ role: 'agent', truncated: true });
      expect(Math.abs(turn.playedMs! - truncation.audioEndMs)).toBeLessThanOrEqual(1);
      expect(h.logs.find('realtime server refused a request')).toEqual([]);
      // The call goes on: the caller's turn is answered.
      await s.waitFor(() => (s.responses.length >= 2 ? true : undefined), 'an answer after the barge-in', 15_000);
      await caller.hangup();
      await session.done;
    }, 45_000);
  }
});
