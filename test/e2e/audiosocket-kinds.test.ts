/**
 * Every AudioSocket slin kind Asterisk's res_audiosocket defines (0x10 slin … 0x18 slin192), dialled
 * dialplan-direct into the running service as `Dial(AudioSocket/host:port/<uuid>/c(slinNN))` does: the caller's audio
 * reaches a 16 kHz native agent (converted in one step), the caller's speech is detected (Silero runs at 16 kHz
 * behind a converter for the rates it does not take), and the agent's echo comes back at the caller's own kind and
 * rate in 20 ms frames, with the tone's frequency and level intact.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { type SampleRate, pcmSamples } from '../../src/audio/format.js';
import { StreamResampler } from '../../src/audio/resampler.js';
import { dbfsToAmplitude, generateTone } from '../../src/audio/tone-analysis.js';
import {
  type AudioKind,
  AUDIO_KINDS,
  audioKindFrameBytes,
  sampleRateOfAudioKind,
} from '../../src/protocols/audiosocket/kinds.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { dialAudioSocket } from '../../src/simulator/audiosocket-dialer.js';
import { decodeWav } from '../../src/simulator/audio/wav.js';
import { toneWindowMatch } from '../support/audio-checks.js';
import { startTestApp } from '../support/app-harness.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'kinds-secret';
/** Silence 0–1 s, "Hello, I would like a table." 1.000–2.476 s, silence to 3.0 s; 16 kHz. */
const ONSET_WAV = fileURLToPath(new URL('../fixtures/speech/onset-16k.wav', import.meta.url));
const TONE_HZ = 440;
const TONE_DBFS = -15;
const TONE_MS = 800;

/** The speech at `rate` (converted from 16 kHz in one step), then the tone, as the caller sends them. */
function callerAudio(rate: SampleRate): Int16Array {
  const speech16k = decodeWav(readFileSync(ONSET_WAV)).samples;
  let speech = speech16k;
  if (rate !== 16000) {
    const r = new StreamResampler(16000, rate);
    const head = r.push(speech16k);
    const tail = r.flush();
    speech = new Int16Array(head.length + tail.length);
    speech.set(head);
    speech.set(tail, head.length);
  }
  const tone = generateTone({ rate, freq: TONE_HZ, amplitude: dbfsToAmplitude(TONE_DBFS), ms: TONE_MS });
  const out = new Int16Array(speech.length + tone.length);
  out.set(speech);
  out.set(tone, speech.length);
  return out;
}

describe('dialplan-direct calls at every AudioSocket slin kind', () => {
  let app: App;
  let agent: NativeEchoAgent;

  beforeAll(async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    const started = await startTestApp(
      { AGENT_SECRET: SECRET, VAD: 'silero' },
      {
        routesJson: {
          routes: [
            {
              name: 'native16k',
              agent: { kind: 'websocket', url: agent.url, secretEnv: 'AGENT_SECRET', sampleRate: 16000 },
            },
          ],
        },
      },
    );
    app = started.app;
    const port = started.port;
    endpoint = { host: '127.0.0.1', port };
  }, 60_000);

  afterAll(async () => {
    await app?.stop(2000);
    await agent?.close();
  });

  let endpoint: { host: string; port: number };

  it('covers exactly the kinds res_audiosocket defines', () => {
    expect([...AUDIO_KINDS]).toEqual([0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]);
    expect(AUDIO_KINDS.map(sampleRateOfAudioKind)).toEqual([
      8000, 12000, 16000, 24000, 32000, 44100, 48000, 96000, 192000,
    ]);
  });

  it.each(AUDIO_KINDS.map((k) => [`0x${k.toString(16)}`, k] as [string, AudioKind]))(
    'kind %s: audio reaches the agent, speech is detected, and the echo comes back at the caller’s rate',
    async (_name, kind) => {
      const rate = sampleRateOfAudioKind(kind);
      const sessionIndex = agent.sessions.length;
      const audio = callerAudio(rate);
      const call = await dialAudioSocket({
        ...endpoint,
        uuid: randomUUID(),
        kind,
        source: { type: 'samples', samples: audio },
        onSourceEnd: 'silence',
      });
      try {
        const session = await agent.waitForSession(sessionIndex, 10_000);
        const audioMs = (audio.length / rate) * 1000;
        // The caller's audio reached the agent, converted to the 16 kHz it asked for.
        await session.waitForAudioBytes(Math.round((audioMs / 1000) * 16000 * 2), 20_000);
        expect(session.sampleRate).toBe(16000);
        const atAgent = toneWindowMatch(pcmSamples(session.receivedAudio()), 16000, TONE_HZ, TONE_DBFS);
        expect(atAgent.matching).toBeGreaterThanOrEqual(5);
        // Silero (8/16 kHz only) heard the caller's speech at this leg rate too.
        const speaking = await session.waitForEvent('speaking', () => true, 10_000);
        expect(speaking.atMs).toBeGreaterThanOrEqual(900);
        expect(speaking.atMs).toBeLessThanOrEqual(1600);
        // The whole echo is back: speech and tone plus the round trip.
        await waitFor(() => call.framesReceived >= Math.ceil(audioMs / 20) + 25, 20_000);
        const frames = call.received.filter((f) => f.kind !== 0);
        const first = frames.findIndex((f) => f.kind === kind);
        expect(first).toBeGreaterThanOrEqual(0);
        // Before Asterisk's first frame the service may only have sent silence (at slin 8 kHz).
        for (const f of frames.slice(0, first)) expect(f.payload?.every((b) => b === 0)).toBe(true);
        // From then on every frame carries the caller's kind and 20 ms at its rate (882 samples at 44.1 kHz).
        const mine = frames.slice(first);
        for (const f of mine) {
          if (f.kind !== kind || f.length !== audioKindFrameBytes(kind)) {
            expect.fail(
              `frame of kind 0x${f.kind.toString(16)} with ${f.length} bytes on a 0x${kind.toString(16)} call`,
            );
          }
        }
        const back = pcmSamples(Buffer.concat(mine.map((f) => f.payload!)));
        const atCaller = toneWindowMatch(back, rate, TONE_HZ, TONE_DBFS);
        expect(atCaller.matching).toBeGreaterThanOrEqual(5);
        expect(call.protocolViolations).toEqual([]);
        // One conversion step each way between the leg's rate and the agent's 16 kHz (none at slin16).
        const { toAgent, fromAgent } = app.registry.list()[0]!.bridge!.converters;
        expect([toAgent.from.sampleRate, toAgent.to.sampleRate]).toEqual([rate, 16000]);
        expect([fromAgent.from.sampleRate, fromAgent.to.sampleRate]).toEqual([16000, rate]);
        expect(toAgent.resamples).toBe(rate !== 16000);
      } finally {
        await call.hangup();
      }
      await waitFor(() => app.registry.size === 0, 10_000);
    },
    60_000,
  );
});
