import { randomInt } from 'node:crypto';
import { pcmSamples } from '../../src/audio/format.js';
import { alawDecode, ulawDecode } from '../../src/audio/g711.js';
import type { SimRtpReceived, SimUnicastRtp } from '../../src/simulator/ari/sim-unicast-rtp.js';
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
