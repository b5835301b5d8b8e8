import { afterEach, describe, expect, it } from 'vitest';
import type { CallSession } from '../../src/calls/call-session.js';
import { waitFor } from '../support/wait.js';
import {
  callerBurst,
  onlySession,
  type RealtimeHarness,
  startRealtimeHarness,
  voicedMs,
} from '../support/realtime-harness.js';

const TOOL = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

/** Media of the playbacks Asterisk started on a channel. */
function playedOn(rt: RealtimeHarness, channelId: string): string[] {
  return rt.h.sim
    .eventLog()
    .map((d) => d.event)
    .flatMap((e) =>
      e.type === 'PlaybackStarted' && e.playback.target_uri === `channel:${channelId}` ? [e.playback.media_uri] : [],
    );
}

/** Records `type:code-or-reason` of every lifecycle event of every call. */
function recordEvents(rt: RealtimeHarness): string[] {
  const events: string[] = [];
  rt.h.app.registry.on('added', (s: CallSession) =>
    s.on('event', (e) => {
      const d: Record<string, unknown> = e.data;
      events.push(`${e.type}:${String(d.code ?? d.reason ?? '')}`);
    }),
  );
  return events;
}

describe('OpenAI Realtime agent: faults', () => {
  let rt: RealtimeHarness | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  for (const fault of ['connection dropped', 'retryable server error'] as const) {
    it(`${fault} mid-call: a new session gets the same config and the conversation so far, the call goes on`, async () => {
      rt = await startRealtimeHarness({
        agent: {
          greeting: 'Greet the caller.',
          session: { instructions: 'You take table bookings.', tools: [TOOL] },
          reconnect: { attempts: 3, initialMs: 50, maxMs: 200 },
        },
        sim: {
          callerTranscript: () => 'A table for two, please.',
          script: ({ index }) =>
            index === 0
              ? { audioMs: 500, transcript: 'Hello, how can I help?' }
              : { audioMs: 500, transcript: 'Noted, a table for two.' },
        },
      });
      const { sim, h, transcripts } = rt;
      const caller = await h.sim.placeInboundCall({
        audio: { type: 'samples', samples: callerBurst(8000, 800) },
      });
      const s0 = await sim.waitForSession(0);
      await waitFor(() => transcripts.turns.length >= 3, 20_000, 'three turns before the fault');
      const firstUpdate = await s0.waitForReceived('session.update');
      const heardBefore = voicedMs(h, 8000);
      if (fault === 'connection dropped') s0.drop();
      else s0.sendError({ type: 'server_error', code: 'server_error', message: 'The server had an error.' });
      const s1 = await sim.waitForSession(1, 15_000);
      const update = await s1.waitForReceived('session.update');
      expect(update.session).toEqual(firstUpdate.session);
      await s1.waitFor(
        () => (s1.received('conversation.item.create').length >= 3 ? true : undefined),
        'replayed items',
      );
      expect(s1.received('conversation.item.create').map((e) => e.item)).toEqual([
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello, how can I help?' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'A table for two, please.' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Noted, a table for two.' }] },
      ]);
      // No second greeting.
      expect(s1.received('response.create')).toEqual([]);
      expect(rt.agents[0]!.stats.reconnects).toBe(1);
      // The new session speaks to the caller.
      s1.respond({ audioMs: 400, transcript: 'Anything else?' });
      await waitFor(() => voicedMs(h, 8000) >= heardBefore + 400, 10_000, 'audio after the reconnect');
      expect(onlySession(h).state).toBe('active');
      expect(s1.errors).toEqual([]);
      await caller.hangup();
    }, 45_000);
  }

  for (const authFailure of ['event', 'http'] as const) {
    it(`bad API key (refused by ${authFailure === 'event' ? 'an error event' : 'HTTP 401'}): no retry, the route's fallback plays, the cause is recorded`, async () => {
      rt = await startRealtimeHarness({
        apiKey: 'sk-wrong-key',
        useServiceFactory: true,
        sim: { authFailure },
        route: { fallback: { action: 'play', media: 'sound:tt-allbusy' } },
      });
      const events = recordEvents(rt);
      const caller = await rt.h.sim.placeInboundCall();
      await waitFor(() => events.includes('call.ended:agent_failed'), 15_000, 'call ended');
      expect(events, JSON.stringify(rt.h.logs.find('agent did not start'))).toContain(
        'agent.failed:REALTIME_AUTH_FAILED',
      );
      await caller.ended;
      expect(playedOn(rt, caller.id)).toEqual(['sound:tt-allbusy']);
      expect(rt.sim.handshakes.map((x) => x.outcome)).toEqual(['refused_key']);
      // The key never reaches the log.
      expect(rt.h.logs.raw.some((l) => l.includes('sk-wrong-key'))).toBe(false);
    }, 30_000);
  }

  it('quota exhausted mid-call: the agent fails, the fallback plays, the cause is recorded and logged with the call id', async () => {
    rt = await startRealtimeHarness({
      route: { fallback: { action: 'play', media: 'sound:tt-allbusy' } },
      sim: {
        script: () => ({
          error: {
            type: 'insufficient_quota',
            code: 'insufficient_quota',
            message: 'You exceeded your current quota.',
          },
        }),
      },
    });
    const caller = await rt.h.sim.placeInboundCall({
      audio: { type: 'samples', samples: callerBurst(8000) },
    });
    await waitFor(() => rt!.h.app.registry.size === 1);
    const session = onlySession(rt.h);
    await session.done;
    expect(session.endSummary?.reason).toBe('agent_failed');
    await caller.ended;
    expect(playedOn(rt, caller.id)).toEqual(['sound:tt-allbusy']);
    const logged = rt.h.logs.find('realtime server error; the agent cannot continue');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ callId: session.id, errorCode: 'insufficient_quota' });
    const failed = rt.h.logs.find('agent failed');
    expect(failed[0]).toMatchObject({ callId: session.id, code: 'REALTIME_QUOTA_EXCEEDED' });
  }, 30_000);
});
