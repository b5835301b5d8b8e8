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

describe('OpenAI Realtime agent: a whole call through the simulated Asterisk and Realtime server', () => {
  let rt: RealtimeHarness | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  it('8 kHz leg: μ-law session with no resampler, greeting, caller turn, answer, transcripts, clean hangup', async () => {
    rt = await startRealtimeHarness({
      agent: {
        greeting: 'Greet the caller and offer help with bookings.',
        session: { instructions: 'You take table bookings.', voice: 'marin' },
      },
      sim: {
        script: ({ index }) =>
          index === 0
            ? { audioMs: 1200, transcript: 'Hello, thanks for calling. How can I help?' }
            : { audioMs: 800, transcript: 'Sure, a table for two tonight.' },
        callerTranscript: () => 'I would like to book a table for two people tonight.',
      },
    });
    const { h, sim, transcripts } = rt;
    const caller = await h.sim.placeInboundCall({
      caller: '+4930111',
      audio: { type: 'samples', samples: callerSaying(speechSamples('hello-8k'), 8000, 2500) },
    });
    const s = await sim.waitForSession(0);
    // Session configured before any audio: μ-law both ways, server VAD, transcription, instructions, voice.
    const update = await s.waitForReceived('session.update');
    expect(update.session).toMatchObject({
      type: 'realtime',
      instructions: 'You take table bookings.',
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          turn_detection: { type: 'server_vad' },
          transcription: { model: 'gpt-4o-mini-transcribe' },
          noise_reduction: { type: 'near_field' },
        },
        output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
      },
    });
    expect(s.state.inputFormat.type).toBe('audio/pcmu');
    expect(sim.handshakes[0]).toMatchObject({ model: 'gpt-realtime', outcome: 'accepted' });
    // The AI-first greeting: response.create with the session instructions plus the greeting.
    const create = await s.waitForReceived('response.create');
    expect((create.response as { instructions: string }).instructions).toBe(
      'You take table bookings.\n\nGreet the caller and offer help with bookings.',
    );
    await waitFor(() => onlySession(h).state === 'active');
    const session = onlySession(h);
    // pcmu path: G.711 coding only, no resampler constructed in either direction.
    const conv = session.bridge!.converters;
    expect(conv.toAgent.resamples).toBe(false);
    expect(conv.fromAgent.resamples).toBe(false);
    expect(conv.toAgent.to).toMatchObject({ encoding: 'ulaw', sampleRate: 8000 });
    // The caller's speech is detected from the appended μ-law audio, transcribed, and answered.
    await s.waitFor(
      () => (s.responses.length >= 2 && !s.activeResponse ? true : undefined),
      'second response done',
      20_000,
    );
    await waitFor(() => transcripts.turns.length >= 3, 15_000, 'three transcript turns');
    const turns = transcripts.turns.map((t) => ({ role: t.role, text: t.text, truncated: t.truncated }));
    expect(turns).toEqual([
      { role: 'agent', text: 'Hello, thanks for calling. How can I help?', truncated: false },
      { role: 'caller', text: 'I would like to book a table for two people tonight.', truncated: false },
      { role: 'agent', text: 'Sure, a table for two tonight.', truncated: false },
    ]);
    const [greeting, callerTurn, answer] = transcripts.turns;
    expect(greeting!.playedMs).toBe(1200);
    expect(greeting!.totalMs).toBe(1200);
    // Timings are ms since the call started and in order.
    expect(callerTurn!.startedAtMs).not.toBeNull();
    expect(callerTurn!.startedAtMs!).toBeGreaterThanOrEqual(greeting!.startedAtMs!);
    expect(answer!.startedAtMs!).toBeGreaterThan(callerTurn!.endedAtMs!);
    // The caller heard both answers in full: 2000 ms of model audio.
    await waitFor(() => voicedMs(h, 8000) >= 2000, 10_000, 'model audio played');
    expect(voicedMs(h, 8000)).toBeLessThanOrEqual(2040);
    // No request was refused.
    expect(s.errors).toEqual([]);
    await caller.hangup();
    await session.done;
    expect(session.endSummary?.reason).toBe('caller_hangup');
    await s.waitFor(() => (s.closed ? true : undefined), 'session closed by the adapter');
    // Caller audio went in 100 ms appends (800 bytes of μ-law), and what was held at hangup was sent too.
    const uplink = rt.agents[0]!.stats.uplink;
    expect(uplink.chunkMs).toBe(100);
    expect(uplink.framesIn).toBeGreaterThan(100);
    expect(s.stats.appends).toBe(uplink.chunks);
    expect(s.stats.appends).toBeLessThanOrEqual(Math.ceil(uplink.framesIn / 5) + uplink.partialChunks);
    expect(s.stats.appendedBytes).toBe(uplink.framesIn * 160);
    expect(uplink.holdMsMax).toBeLessThan(200);
  }, 40_000);

  it('appendMs 20: one append per 20 ms frame', async () => {
    rt = await startRealtimeHarness({ agent: { appendMs: 20 } });
    const { h, sim } = rt;
    const caller = await h.sim.placeInboundCall({
      audio: { type: 'samples', samples: callerSaying(speechSamples('hello-8k'), 8000, 300) },
    });
    const s = await sim.waitForSession(0);
    await waitFor(() => s.stats.appends >= 25, 10_000, 'half a second of appends');
    await caller.hangup();
    await s.waitFor(() => (s.closed ? true : undefined), 'session closed by the adapter');
    const uplink = rt.agents[0]!.stats.uplink;
    expect(uplink.chunkMs).toBe(20);
    expect(s.stats.appends).toBe(uplink.framesIn);
    expect(s.stats.appendedBytes).toBe(uplink.framesIn * 160);
  });

  it('beta dialect: OpenAI-Beta header, g711_ulaw session, beta event names (response.audio.delta …) understood', async () => {
    rt = await startRealtimeHarness({
      agent: { apiVersion: 'beta', greeting: 'Say hello.', session: { temperature: 0.8 } },
      sim: { script: () => ({ audioMs: 700, transcript: 'Hello from the preview API.' }) },
    });
    const { h, sim, transcripts } = rt;
    const caller = await h.sim.placeInboundCall();
    const s = await sim.waitForSession(0);
    expect(s.dialect).toBe('beta');
    expect(sim.handshakes[0]!.headers['openai-beta']).toBe('realtime=v1');
    const update = await s.waitForReceived('session.update');
    expect(update.session).toMatchObject({
      input_audio_format: 'g711_ulaw',
      output_audio_format: 'g711_ulaw',
      temperature: 0.8,
      turn_detection: { type: 'server_vad' },
    });
    // The echo says g711_ulaw; the beta names reach the caller as audio and the transcript as a turn.
    await waitFor(() => voicedMs(h, 8000) >= 700, 15_000, 'greeting played');
    await waitFor(() => transcripts.turns.length === 1, 10_000, 'greeting turn');
    expect(transcripts.turns[0]).toMatchObject({
      role: 'agent',
      text: 'Hello from the preview API.',
      truncated: false,
    });
    expect(s.sentEvents('response.audio_transcript.done')).toHaveLength(1);
    expect(s.sentEvents('response.output_audio_transcript.done')).toHaveLength(0);
    expect(s.sentEvents('response.audio.done')).toHaveLength(1);
    expect(s.sentEvents('conversation.item.created').length).toBeGreaterThan(0);
    expect(s.errors).toEqual([]);
    await caller.hangup();
  }, 40_000);
});
