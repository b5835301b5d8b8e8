import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pcmSamples } from '../../src/audio/format.js';
import { alawDecode, ulawDecode } from '../../src/audio/g711.js';
import type { SimRtpReceived, SimUnicastRtp } from '../../src/simulator/ari/sim-unicast-rtp.js';
import { decodeWav, toMono } from '../../src/simulator/audio/wav.js';
import { type AriHarness, startAriHarness } from './ari-harness.js';

/**
 * RTP_* settings for one test: a port range of its own (test files run in parallel; the pool also skips ports it
 * cannot bind).
 */
export function rtpEnv(ports = 50): Record<string, string> {
  const min = 30000 + randomInt(0, 600) * 50;
  return { RTP_PORT_MIN: String(min), RTP_PORT_MAX: String(min + ports - 1), RTP_ADVERTISE_HOST: '127.0.0.1' };
}

/** A routes file with one route on the RTP media path. */
export function rtpRoutes(agent: unknown, audioFormat: string, extra: Record<string, unknown> = {}): unknown {
  return { routes: [{ name: 'rtp', media: 'rtp', audioFormat, agent, ...extra }] };
}

/** The simulated Asterisk (its UnicastRTP channels on real UDP sockets) and the service, with RTP settings. */
export function startRtpHarness(
  env: Record<string, string>,
  deps: Parameters<typeof startAriHarness>[1] = {},
): Promise<AriHarness> {
  return startAriHarness({ ...rtpEnv(), ...env }, deps);
}

/** A received packet's audio as PCM16 samples (G.711 decoded). */
export function receivedSamples(p: SimRtpReceived): Int16Array {
  if (p.format === 'ulaw') return ulawDecode(p.data);
  if (p.format === 'alaw') return alawDecode(p.data);
  return pcmSamples(p.data);
}

/** Everything the UnicastRTP channel read from the adapter, as PCM16 samples, in arrival order. */
export function receivedPcm(stream: SimUnicastRtp): Int16Array {
  const parts = stream.received.map(receivedSamples);
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The only RTP stream of a harness (throws when there is none yet). */
export function onlyStream(h: AriHarness): SimUnicastRtp {
  const s = h.sim.rtpStreams()[0];
  if (!s) throw new Error('no RTP stream');
  return s;
}

/** Milliseconds of voiced audio (a sample over `threshold`) the UnicastRTP channel read from the adapter. */
export function rtpVoicedMs(stream: SimUnicastRtp, threshold = 50): number {
  let ms = 0;
  for (const p of stream.received) {
    const samples = receivedSamples(p);
    if (samples.some((v) => Math.abs(v) > threshold)) ms += (samples.length * 1000) / p.rate;
  }
  return ms;
}

/**
 * `ms` of real speech at `rate` with no quiet frame in it: the voiced 20 ms frames of the speech fixture, in order
 * and repeated, so every frame of it is told apart from the silence the adapter sends when the agent is quiet.
 */
export function voicedSpeech(rate: 8000 | 16000, ms: number): Int16Array {
  const speech = toMono(
    decodeWav(readFileSync(new URL(`../fixtures/speech/hello-${rate / 1000}k.wav`, import.meta.url))),
  );
  const frame = rate / 50;
  const voiced: Int16Array[] = [];
  for (let at = 0; at + frame <= speech.length; at += frame) {
    const f = speech.subarray(at, at + frame);
    if (f.some((v) => Math.abs(v) > 400)) voiced.push(f);
  }
  const frames = Math.round(ms / 20);
  const out = new Int16Array(frames * frame);
  for (let i = 0; i < frames; i++) out.set(voiced[i % voiced.length]!, i * frame);
  return out;
}

/** Milliseconds of `samples` (at `rate`) in 20 ms frames with a sample over `threshold`. */
export function voicedMsOf(samples: Int16Array, rate: number, threshold = 400): number {
  const frame = rate / 50;
  let ms = 0;
  for (let at = 0; at + frame <= samples.length; at += frame)
    if (samples.subarray(at, at + frame).some((v) => Math.abs(v) > threshold)) ms += 20;
  return ms;
}
