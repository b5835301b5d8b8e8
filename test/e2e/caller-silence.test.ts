import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { startTestApp } from '../support/app-harness.js';
import { startChanWebSocketHarness, websocketRoutes } from '../support/chan-websocket-harness.js';
import type { CallLifecycleEvent } from '../../src/calls/call-session.js';
import type { LifecycleEventOf } from '../../src/calls/call-lifecycle.js';
import { concatPcm } from '../support/pcm.js';
import type { CallNotice } from '../../src/calls/voice-agent.js';
import { waitFor } from '../support/wait.js';
import {
  onlySession,
  type RealtimeHarness,
  speechSamples,
  startRealtimeHarness,
  trimSilence,
} from '../support/realtime-harness.js';

const RATE = 8000;
const GAP_MS = 10_000;

/** `ms` of digital silence at 8 kHz. */
const quiet = (ms: number) => new Int16Array((RATE * ms) / 1000);

describe('a caller who goes quiet on the wire (Asterisk sends nothing for 10 s mid-call)', () => {
  let rt: RealtimeHarness | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  it('keeps the call, fills the gap with silence so both VADs end the turn, and hears the caller again after', async () => {
    rt = await startRealtimeHarness({ env: { VAD: 'silero' } });
    const { h, sim } = rt;
    // The caller speaks, then (like a phone with silence suppression) stops sending the moment speech ends; after
    // the gap it speaks again.
    const speech = trimSilence(speechSamples('hello-8k'));
    const audio = concatPcm(quiet(500), speech, quiet(1000), speech, quiet(1000));
    const gapAfterFrames = Math.floor((quiet(500).length + speech.length) / 160);
    await h.sim.placeInboundCall({ audio: { type: 'samples', samples: audio } });
    await waitFor(() => h.media.length === 1, 5000, 'AudioSocket leg dialled');
    const wire = h.media[0]!;
    wire.stopSendingFor(GAP_MS, gapAfterFrames);
    await waitFor(() => h.app.registry.list()[0]?.state === 'active', 10_000, 'call active');
    const session = onlySession(h);
    // What our VAD tells the agent, and whether Asterisk was sending at the time.
    const notices: Array<{ type: string; duringGap: boolean }> = [];
    const agent = session.agent!;
    const notify = agent.notify.bind(agent);
    agent.notify = (n: CallNotice) => {
      if (n.type === 'speaking' || n.type === 'silence') notices.push({ type: n.type, duringGap: wire.wireGapActive });
      notify(n);
    };
    const events: CallLifecycleEvent[] = [];
    session.on('event', (e) => events.push(e));
    const s = await sim.waitForSession(0);

    await waitFor(() => wire.wireGapActive, 10_000, 'Asterisk stopped sending');
    // The Realtime server's turn detection ends the caller's turn during the gap, from the filled silence.
    await s.waitFor(
      () => (s.log.some((e) => e.type === 'input_audio_buffer.speech_stopped') ? true : undefined),
      'speech_stopped',
      5000,
    );
    expect(wire.wireGapActive).toBe(true);
    expect(s.log.some((e) => e.type === 'input_audio_buffer.committed')).toBe(true);
    // Our VAD reported the end of speech during the gap.
    await waitFor(() => notices.some((n) => n.type === 'silence' && n.duringGap), 5000, 'silence during the gap');

    // The call outlives the old 5 s idle timeout and the gap itself.
    await waitFor(() => !wire.wireGapActive, GAP_MS + 5000, 'Asterisk sends again');
    expect(session.closing).toBe(false);
    expect(wire.state).toBe('open');
    // The caller is heard again: speaking after the gap, and a second turn at the Realtime server.
    await waitFor(() => notices.some((n) => n.type === 'speaking' && !n.duringGap), 10_000, 'speaking again');
    await s.waitFor(
      () => (s.log.filter((e) => e.type === 'input_audio_buffer.speech_started').length >= 2 ? true : undefined),
      'second speech_started',
      10_000,
    );
    // The gap is a call event and a metric.
    const gap = events.find((e) => e.type === 'media.gap');
    expect(gap?.data).toMatchObject({ open: false });
    expect(Number(gap?.data.durationMs)).toBeGreaterThanOrEqual(GAP_MS - 100);
    expect(Number(gap?.data.filledFrames)).toBeGreaterThanOrEqual((GAP_MS - 100) / 20);
    const metrics = (await h.app.metrics.render()).body;
    expect(metrics).toMatch(/^ava_media_gaps_total 1$/m);
    expect(metrics).toMatch(/^ava_media_gap_seconds_count 1$/m);
    expect(session.closing).toBe(false);
  }, 60_000);
});

describe('the silence watchdog tells a silent caller from a dead leg', () => {
  let h: AriHarness | undefined;
  let app: App | undefined;
  let call: SimulatedAudioSocketCall | undefined;
  afterEach(async () => {
    call?.hangup();
    await h?.stop();
    await app?.stop(1000);
    h = undefined;
    app = undefined;
    call = undefined;
  });

  it('Stasis: ends the call as media_timeout (channel_gone) once ARI no longer knows the caller channel', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo', MEDIA_SILENCE_CHECK_MS: '1000' });
    const caller = await h.sim.placeInboundCall();
    await waitFor(() => h!.app.registry.list()[0]?.state === 'active', 10_000, 'call active');
    const session = onlySession(h);
    const events: CallLifecycleEvent[] = [];
    session.on('event', (e) => events.push(e));
    await waitFor(() => h!.media.length === 1, 5000, 'AudioSocket leg');
    // Asterisk goes quiet on the leg, and the caller channel's end is lost (no events).
    h.media[0]!.stopSendingFor(60_000);
    await waitFor(() => h!.media[0]!.wireGapActive, 5000, 'quiet on the wire');
    // While the channel exists the call is kept through a check.
    await waitFor(() => h!.logs.raw.some((l) => l.includes('still up in Asterisk')), 5000, 'first check keeps it');
    expect(session.closing).toBe(false);
    expect(h.sim.forgetChannel(caller.id)).toBe(true);
    await session.done;
    expect(session.endSummary?.reason).toBe('media_timeout');
    expect(events.find((e) => e.type === 'media.timeout')?.data).toMatchObject({
      cause: 'channel_gone',
      liveness: { kind: 'gone', channel: 'caller' },
    });
    // The gap was still open when the call ended.
    expect(events.find((e) => e.type === 'media.gap')?.data).toMatchObject({ open: true });
  }, 30_000);

  it('dialplan-direct: by default a caller silent on the wire for longer than the old 5 s timeout is kept', async () => {
    const started = await startTestApp({ DEFAULT_AGENT: 'echo', AUDIOSOCKET_ALLOW_ANY_UUID: 'true' });
    app = started.app;
    call = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: randomUUID() });
    await waitFor(() => app!.registry.size === 1, 5000, 'call');
    const session = app.registry.list()[0]!;
    call.stopSendingFor(6000);
    await waitFor(() => call!.wireGapActive, 5000, 'quiet on the wire');
    await waitFor(() => !call!.wireGapActive, 10_000, 'sending again');
    // Our side kept pacing frames to the caller all along, and the call lives on.
    const before = call.framesReceived;
    await waitFor(() => call!.framesReceived > before + 10, 2000, 'frames still arriving');
    expect(session.closing).toBe(false);
    expect(call.state).toBe('open');
    expect(session.bridge!.gapStats).toMatchObject({ gaps: 1 });
  }, 30_000);
});

describe('chan_websocket leg gone quiet', () => {
  it('fills the gap, keeps the call and records it when caller audio resumes', async () => {
    const h = await startChanWebSocketHarness({}, { routesJson: websocketRoutes({ kind: 'echo' }) });
    try {
      await h.sim.placeInboundCall();
      await waitFor(() => h.app.registry.list()[0]?.state === 'active' && h.media.length === 1, 10_000, 'call');
      const session = h.app.registry.list()[0]!;
      const events: CallLifecycleEvent[] = [];
      session.on('event', (e) => events.push(e));
      const conn = h.media[0]!;
      // Real caller audio first: the adapter has read frames and the last one is recent (not a wait for the first).
      await waitFor(
        () => conn.callerFramesSent >= 5 && (session.bridge?.uplinkSilentMs ?? Infinity) < 60,
        10_000,
        'caller audio flowing',
      );
      conn.stopSendingFor(2000);
      await waitFor(() => conn.wireGapActive, 5000, 'quiet');
      await waitFor(() => !conn.wireGapActive, 10_000, 'sending again');
      // A slow start of the leg on a loaded machine may also have recorded a leading gap (`leading: true`).
      const midCall = () =>
        events.find((e): e is LifecycleEventOf<'media.gap'> => e.type === 'media.gap' && e.data.leading === false);
      await waitFor(() => midCall() !== undefined, 5000, 'media.gap event');
      const gap = midCall()!;
      expect(gap.data).toMatchObject({ open: false, leading: false });
      expect(Number(gap.data.durationMs)).toBeGreaterThanOrEqual(1900);
      expect(session.closing).toBe(false);
    } finally {
      await h.stop();
    }
  }, 30_000);
});
