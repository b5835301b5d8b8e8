import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { startTwilioDialectAgent, type TwilioDialectAgent } from '../../src/simulator/agents/twilio-dialect-agent.js';
import { startTestApp } from '../support/app-harness.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import { waitFor } from '../support/wait.js';

function routes(url: string) {
  return {
    routes: [
      {
        name: 'twilio',
        agent: { kind: 'twilio', url },
        bargeIn: { enabled: false },
        customParameters: { FirstName: 'Jane' },
      },
    ],
  };
}

/** Frames the caller received that hold agent audio (not silence). */
function voicedFrames(call: SimulatedAudioSocketCall) {
  return call.received.filter(
    (f) => f.kind === 0x10 && f.payload && pcmSamples(f.payload).some((v) => Math.abs(v) > 100),
  );
}

describe('Twilio Media Streams agent through the running service', () => {
  let app: App | undefined;
  let agent: TwilioDialectAgent | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  afterEach(async () => {
    for (const c of calls) await c.hangup().catch(() => {});
    await app?.stop(2000);
    await agent?.close();
    app = undefined;
    agent = undefined;
    calls.length = 0;
  });

  it('speaks the dialect: connected, start with parameters, 20 ms μ-law media, DTMF, stop', async () => {
    agent = await startTwilioDialectAgent({ mode: 'echo' });
    const started = await startTestApp({}, { routesJson: routes(agent.url) });
    app = started.app;
    const tone = generateTone({ rate: 8000, freq: 700, amplitude: 8000, ms: 1500 });
    const call = await dialAudioSocket({
      host: '127.0.0.1',
      port: started.port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: tone },
    });
    calls.push(call);
    const session = await agent.waitForSession(0);
    const start = await session.waitForMessage('start');
    expect(start.start.mediaFormat).toEqual({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 });
    expect(start.start.customParameters).toMatchObject({ FirstName: 'Jane', audiosocketUuid: call.uuid });
    expect(start.start.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(session.eventNames.slice(0, 2)).toEqual(['connected', 'start']);
    await session.waitForInboundBytes(8000 * 1.4, 15_000);
    const media = session.received.filter((m) => m.event === 'media');
    // Every chunk is 160 μ-law bytes; timestamps advance by 20 ms, chunks count up.
    for (const [i, m] of media.slice(0, 20).entries()) {
      if (m.event !== 'media') continue;
      expect(Buffer.from(m.media.payload, 'base64').length).toBe(160);
      expect(m.media.chunk).toBe(String(i + 1));
      expect(m.media.timestamp).toBe(String(i * 20));
    }
    await call.sendDtmf('7');
    const dtmf = await session.waitForMessage('dtmf');
    expect(dtmf.dtmf.digit).toBe('7');
    // The echo the agent sent came back to the caller as the same tone (μ-law both ways, no resampling).
    await waitFor(() => voicedFrames(call).length >= 60, 15_000, 'echo');
    const back = Buffer.concat(voicedFrames(call).map((f) => f.payload!));
    // μ-law both ways: frequency kept, level within μ-law's quantisation.
    const m = toneWindowMatch(trimSilence(pcmSamples(back)), 8000, 700, rmsDbfs(tone), { dbTolerance: 0.3 });
    expect(m.share).toBeGreaterThanOrEqual(0.9);
    expect(app.registry.list()[0]!.bridge!.converters.toAgent.resamples).toBe(false);
    await call.hangup();
    await session.waitForMessage('stop');
  });

  it('answers each mark only once the audio before it has been played, and echoes pending marks on clear', async () => {
    // 3 s of agent audio, sent at once as 150 chunks each followed by a mark.
    const audio = Buffer.from(generateTone({ rate: 8000, freq: 500, amplitude: 6000, ms: 3000 }).buffer);
    agent = await startTwilioDialectAgent({ mode: 'play', audio });
    const started = await startTestApp({}, { routesJson: routes(agent.url) });
    app = started.app;
    const call = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: randomUUID() });
    calls.push(call);
    const session = await agent.waitForSession(0);
    await session.waitForMarkAcks(50, 15_000);
    // When the 50th mark is acknowledged, about 50 frames (1 s) have reached the caller — not all 150.
    const heard = voicedFrames(call).length;
    expect(heard).toBeGreaterThanOrEqual(49);
    expect(heard).toBeLessThan(150);
    expect(session.ackedMarks.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `chunk-${i + 1}`));
    // The agent hears the caller start speaking: it clears; every pending mark comes back at once.
    const result = session.speechStarted();
    expect(result.cleared).toBe(true);
    await session.waitForMarkAcks(150, 10_000);
    const frozen = voicedFrames(call).length;
    await new Promise((r) => setTimeout(r, 300));
    // Playout stopped: at most one more frame of agent audio after the clear.
    expect(voicedFrames(call).length - frozen).toBeLessThanOrEqual(1);
    expect(frozen).toBeLessThan(150);
  });
});
