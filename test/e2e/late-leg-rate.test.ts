import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { pcmBuffer, pcmSamples } from '../../src/audio/format.js';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import {
  dialAudioSocket,
  type ReceivedFrame,
  type SimulatedAudioSocketCall,
} from '../../src/simulator/audiosocket-dialer.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { startTwilioDialectAgent, type TwilioDialectAgent } from '../../src/simulator/agents/twilio-dialect-agent.js';
import { startTestApp } from '../support/app-harness.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import { waitFor } from '../support/wait.js';

const GREETING_FRAMES = 30;

/** A frame of agent audio (not the silence the adapter sends while the agent is quiet). */
function voiced(frame: ReceivedFrame): boolean {
  return frame.kind !== 0 && frame.payload !== undefined && pcmSamples(frame.payload).some((v) => Math.abs(v) > 100);
}

function frameMs(frame: ReceivedFrame): number {
  return (frame.length / 2 / (frame.kind === 0x12 ? 16000 : 8000)) * 1000;
}

describe('a dialplan-direct slin16 leg whose rate is learned after the agent queued its greeting', () => {
  let app: App | undefined;
  let agent: TwilioDialectAgent | undefined;
  let call: SimulatedAudioSocketCall | undefined;
  afterEach(async () => {
    await call?.hangup().catch(() => {});
    await app?.stop(2000);
    await agent?.close();
    app = undefined;
    agent = undefined;
    call = undefined;
  });

  it('plays the whole greeting, answers each mark only after its audio went out, and sends 160-byte media', async () => {
    // Dial(AudioSocket/host:port/<uuid>/c(slin16)) to a route with no audioFormat: the adapter plans slin (8 kHz)
    // and learns the rate from Asterisk's first 0x12 frame, which comes after the Twilio agent has already sent its
    // whole greeting, each 20 ms chunk followed by a mark.
    const tone = generateTone({ rate: 8000, freq: 500, amplitude: 8000, ms: GREETING_FRAMES * 20 });
    const voicedSoFar = { frames: 0 };
    const ackedAt: Array<{ name: string; agentFramesSent: number }> = [];
    // Agent frames the adapter had written to the AudioSocket when a mark reached the agent. The adapter counts a
    // frame before it writes it and answers a mark after the write, so this count is exact; what the simulated caller
    // has read by then is not (two sockets read by this one process, in whatever order the poll returns them).
    const agentFramesSent = (): number => {
      const stats = app?.registry.list()[0]?.bridge?.stats;
      return stats ? stats.framesOut - stats.silenceFramesOut : 0;
    };
    agent = await startTwilioDialectAgent({
      mode: 'play',
      audio: pcmBuffer(tone),
      onMessage: (_session, message) => {
        if (message.event === 'mark') ackedAt.push({ name: message.mark.name, agentFramesSent: agentFramesSent() });
      },
    });
    const started = await startTestApp(
      {},
      {
        routesJson: {
          routes: [{ name: 'twilio', agent: { kind: 'twilio', url: agent.url }, bargeIn: { enabled: false } }],
        },
      },
    );
    app = started.app;
    call = await dialAudioSocket({
      host: '127.0.0.1',
      port: started.port,
      uuid: randomUUID(),
      kind: 0x12,
      holdAudio: true,
      source: { type: 'samples', samples: generateTone({ rate: 16000, freq: 700, amplitude: 6000, ms: 3000 }) },
      onFrame: (frame) => {
        if (voiced(frame)) voicedSoFar.frames += 1;
      },
    });
    const session = await agent.waitForSession(0);
    await waitFor(() => session.sentMedia === GREETING_FRAMES, 10_000, 'the agent sent its greeting');
    await waitFor(
      () => (app!.registry.list()[0]?.bridge?.stats.agentAudioBytes ?? 0) >= GREETING_FRAMES * 160,
      10_000,
      'the adapter received the greeting',
    );
    // Now Asterisk's first audio frame: slin16.
    call.resumeAudio();
    await session.waitForMarkAcks(GREETING_FRAMES, 15_000);
    await session.waitForInboundBytes(160 * 50, 15_000);

    // Every mark came back in order, none through a clear, each only once the audio before it had been written to
    // the caller's socket: mark k after at least k frames of the greeting.
    expect(session.clearsSent).toBe(0);
    expect(ackedAt.map((a) => a.name)).toEqual(Array.from({ length: GREETING_FRAMES }, (_, i) => `chunk-${i + 1}`));
    for (const [i, a] of ackedAt.entries()) expect(a.agentFramesSent, a.name).toBeGreaterThanOrEqual(i + 1);
    // And the caller read every one of those frames.
    expect(voicedSoFar.frames).toBeGreaterThanOrEqual(GREETING_FRAMES);

    // The caller heard the whole greeting: its length, at the tone's frequency and level.
    const greeting = call.received.filter(voiced);
    const heardMs = greeting.reduce((ms, f) => ms + frameMs(f), 0);
    expect(heardMs).toBeGreaterThanOrEqual(GREETING_FRAMES * 20 - 20);
    // Planned slin until Asterisk's first frame, then its kind: once slin16 has started, every frame is 640-byte slin16.
    const firstWide = call.received.findIndex((f) => f.kind === 0x12);
    expect(firstWide).toBeGreaterThanOrEqual(0);
    expect(call.received.slice(0, firstWide).every((f) => f.kind === 0x10 && f.length === 320)).toBe(true);
    expect(call.received.slice(firstWide).every((f) => f.kind === 0x12 && f.length === 640)).toBe(true);
    const wide = Buffer.concat(greeting.filter((f) => f.kind === 0x12).map((f) => f.payload!));
    expect(wide.length).toBeGreaterThan(0);
    const match = toneWindowMatch(trimSilence(pcmSamples(wide)), 16000, 500, rmsDbfs(tone), { dbTolerance: 1 });
    expect(match.share).toBeGreaterThanOrEqual(0.9);

    // Every media message to the agent is 20 ms of μ-law, the first one (the resampler's start) included...
    const media = () => session.received.flatMap((m) => (m.event === 'media' ? [m] : []));
    expect(media().length).toBeGreaterThanOrEqual(50);
    expect(
      media()
        .map((m) => Buffer.from(m.media.payload, 'base64').length)
        .filter((n) => n !== 160),
    ).toEqual([]);
    // ...up to the end of the call.
    await call.hangup();
    await session.waitForMessage('stop');
    expect(
      media()
        .map((m) => Buffer.from(m.media.payload, 'base64').length)
        .filter((n) => n !== 160),
    ).toEqual([]);
    expect(
      media()
        .map((m) => m.media.timestamp)
        .slice(0, 3),
    ).toEqual(['0', '20', '40']);
  });

  it('sends a native agent whole 20 ms binary frames at its rate on a slin16 leg, from the first one', async () => {
    const sizes: number[] = [];
    const native: NativeEchoAgent = await startNativeEchoAgent({
      mode: 'echo',
      onAudio: (_session, audio) => sizes.push(audio.length),
    });
    try {
      const started = await startTestApp(
        {},
        {
          routesJson: { routes: [{ name: 'native', agent: { kind: 'websocket', url: native.url, sampleRate: 8000 } }] },
        },
      );
      app = started.app;
      call = await dialAudioSocket({
        host: '127.0.0.1',
        port: started.port,
        uuid: randomUUID(),
        kind: 0x12,
        source: { type: 'samples', samples: generateTone({ rate: 16000, freq: 700, amplitude: 6000, ms: 2000 }) },
      });
      const session = await native.waitForSession(0);
      await session.waitForAudioBytes(320 * 50, 15_000);
      expect(sizes.length).toBeGreaterThanOrEqual(50);
      expect(sizes.filter((n) => n !== 320)).toEqual([]);
    } finally {
      await call?.hangup().catch(() => {});
      await native.close();
    }
  });
});
