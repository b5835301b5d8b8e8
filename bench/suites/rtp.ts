/**
 * The RTP media path (route `media: rtp`) under load, beside the AudioSocket and chan_websocket runs of
 * `chan-websocket.ts`: N echo calls through the simulated Asterisk, whose UnicastRTP channels stream a tone over
 * real UDP sockets. Measured over a window once every call is connected: the service's CPU per call-second, the
 * gaps between consecutive packets each UnicastRTP channel received (the adapter's pacing), packets lost towards
 * Asterisk (sequence numbers missing at the simulated channel) and towards the adapter (its
 * `ava_rtp_packets_lost_total`, read from /metrics once the calls have ended).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateTone } from '../../src/audio/tone-analysis.js';
import type { SimUnicastRtp } from '../../src/simulator/ari/sim-unicast-rtp.js';
import { startSimulatedAsterisk } from '../../src/simulator/ari/simulated-asterisk.js';
import type { SimulatedChannel } from '../../src/simulator/ari/simulated-channel.js';
import { helpIfAsked } from '../lib/script-args.js';
import { startService, stopService } from '../lib/service-process.js';
import { type GapStats, gapStats, processCpuMs } from '../lib/stats.js';

const USER = 'adapter';
const PASSWORD = 'bench-rtp-password';

export type RtpBenchFormat = 'ulaw' | 'slin16';

export interface RtpBenchRun {
  readonly format: RtpBenchFormat;
  readonly calls: number;
  readonly seconds: number;
  /** Calls whose UnicastRTP channel had received packets when measuring started. */
  readonly connected: number;
  /** Service process CPU (user + system) per call-second, ms. */
  readonly serviceCpuMsPerCallSecond: number;
  /** Gaps between consecutive packets a UnicastRTP channel received, all calls. */
  readonly packetGaps: GapStats;
  /** Packets the adapter sent that never reached the simulated channel (sequence numbers missing), in the window. */
  readonly lostToAsterisk: number;
  readonly packetsToAsterisk: number;
  /** Packets from the simulated channels the adapter counted lost (whole calls), and all it received. */
  readonly lostToAdapter: number;
  readonly packetsToAdapter: number;
}

export interface RtpBenchResult {
  readonly runs: RtpBenchRun[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A counter of the service's Prometheus text, or 0. */
function counter(metrics: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics);
  return m ? Number(m[1]) : 0;
}

/** Packets missing from what a channel received inside the window (gaps in the sequence numbers, per SSRC). */
function missing(stream: SimUnicastRtp, from: number, to: number): { lost: number; received: number } {
  let lost = 0;
  let received = 0;
  let prev: { ssrc: number; sequence: number } | undefined;
  for (const p of stream.received) {
    if (p.at < from || p.at > to) continue;
    received += 1;
    if (prev && prev.ssrc === p.ssrc) {
      const step = (p.sequence - prev.sequence) & 0xffff;
      if (step > 1 && step < 1000) lost += step - 1;
    }
    prev = p;
  }
  return { lost, received };
}

async function runOne(format: RtpBenchFormat, calls: number, seconds: number): Promise<RtpBenchRun> {
  const streams: SimUnicastRtp[] = [];
  const sim = await startSimulatedAsterisk({
    username: USER,
    password: PASSWORD,
    audioSocket: false,
    rtp: { onStream: (s) => streams.push(s) },
  });
  const dir = await mkdtemp(join(tmpdir(), 'ava-rtp-bench-'));
  const routesFile = join(dir, 'routes.json');
  await writeFile(
    routesFile,
    JSON.stringify({ routes: [{ name: 'bench', media: 'rtp', audioFormat: format, agent: { kind: 'echo' } }] }),
  );
  const httpPort = await freePort();
  const minPort = 40000 + Math.floor(Math.random() * 100) * 100;
  const { child } = await startService({
    ARI_URL: sim.url,
    ARI_USERNAME: USER,
    ARI_PASSWORD: PASSWORD,
    ROUTES_FILE: routesFile,
    AUDIOSOCKET_HOST: '127.0.0.1',
    AUDIOSOCKET_PORT: '0',
    HTTP_ENABLED: 'true',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    VAD: 'off',
    LOG_LEVEL: 'warn',
    RTP_PORT_MIN: String(minPort),
    RTP_PORT_MAX: String(minPort + Math.max(calls * 2, 100)),
    RTP_BIND_HOST: '127.0.0.1',
    RTP_ADVERTISE_HOST: '127.0.0.1',
  });
  const callers: SimulatedChannel[] = [];
  try {
    const rate = format === 'slin16' ? 16000 : 8000;
    const tone = generateTone({ rate, freq: 440, amplitude: 6000, ms: 1000 });
    for (let i = 0; i < calls; i++) {
      callers.push(await sim.placeInboundCall({ audio: { type: 'samples', samples: tone, loop: true } }));
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const connected = streams.filter((s) => s.received.length > 0).length;
    const windowStart = performance.now();
    const cpu0 = (await processCpuMs(child.pid ?? 0)) ?? 0;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpu1 = (await processCpuMs(child.pid ?? 0)) ?? 0;
    const windowEnd = performance.now();
    const gaps: number[] = [];
    let lostToAsterisk = 0;
    let packetsToAsterisk = 0;
    for (const s of streams) {
      let prev: number | undefined;
      for (const p of s.received) {
        if (p.at < windowStart || p.at > windowEnd) continue;
        if (prev !== undefined) gaps.push(p.at - prev);
        prev = p.at;
      }
      const m = missing(s, windowStart, windowEnd);
      lostToAsterisk += m.lost;
      packetsToAsterisk += m.received;
    }
    // Calls end; their RTP counters reach the metrics.
    for (const c of callers) await c.hangup();
    await new Promise((r) => setTimeout(r, 2000));
    const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
    return {
      format,
      calls,
      seconds,
      connected,
      serviceCpuMsPerCallSecond: (cpu1 - cpu0) / (calls * seconds),
      packetGaps: gapStats(gaps),
      lostToAsterisk,
      packetsToAsterisk,
      lostToAdapter: counter(metrics, 'ava_rtp_packets_lost_total'),
      packetsToAdapter: counter(metrics, 'ava_rtp_packets_in_total'),
    };
  } finally {
    await stopService(child);
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runRtpBench(options: { calls?: number; seconds?: number } = {}): Promise<RtpBenchResult> {
  const calls = options.calls ?? 200;
  const seconds = options.seconds ?? 10;
  const runs: RtpBenchRun[] = [];
  for (const format of ['ulaw', 'slin16'] as const) runs.push(await runOne(format, calls, seconds));
  return { runs };
}

export function formatRtpBench(r: RtpBenchResult): string {
  const lines = [
    '| media path | calls | connected | service CPU ms / call-s | gap p50 ms | gap p99 ms | gap max ms | gaps > 30 ms % | lost → Asterisk | lost → adapter |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const x of r.runs) {
    const g = x.packetGaps;
    lines.push(
      `| rtp-${x.format} | ${x.calls} | ${x.connected} | ${x.serviceCpuMsPerCallSecond.toFixed(2)} | ${g.p50Ms.toFixed(2)} | ${g.p99Ms.toFixed(2)} | ${g.maxMs.toFixed(1)} | ${g.pctOver30Ms.toFixed(2)} | ${x.lostToAsterisk} / ${x.packetsToAsterisk} | ${x.lostToAdapter} / ${x.packetsToAdapter} |`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  helpIfAsked(
    'usage: npx tsx bench/suites/rtp.ts [seconds=10] [calls=200]\nRTP media path benchmark against the simulated Asterisk (UnicastRTP over UDP); prints its table.',
  );
  const seconds = Number(process.argv[2] ?? 10);
  const calls = Number(process.argv[3] ?? 200);
  const result = await runRtpBench({ calls, seconds });
  console.log(formatRtpBench(result));
}
