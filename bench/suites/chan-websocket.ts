import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateTone } from '../../src/audio/tone-analysis.js';
import type { SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { audioSocketDialerLink } from '../../src/simulator/ari/audiosocket-dialer-link.js';
import type { SimChanWebSocket } from '../../src/simulator/ari/sim-chan-websocket.js';
import { startSimulatedAsterisk } from '../../src/simulator/ari/simulated-asterisk.js';
import { type GapStats, gapStats, processCpuMs } from '../lib/stats.js';
import { startService, stopService } from '../lib/service-process.js';
import { helpIfAsked } from '../lib/script-args.js';

const USER = 'adapter';
const PASSWORD = 'bench-cw-password';

export type MediaPathVariant = 'audiosocket' | 'websocket-clock' | 'websocket-asterisk';

export interface ChanWebSocketBenchRun {
  readonly path: MediaPathVariant;
  readonly calls: number;
  readonly seconds: number;
  /** Service process CPU (user + system) per call-second, ms. */
  readonly serviceCpuMsPerCallSecond: number;
  /** Gaps between consecutive audio messages the simulated Asterisk received, per call. */
  readonly frameGaps: GapStats;
  /** Calls that were connected when measuring started. */
  readonly connected: number;
}

export interface ChanWebSocketBenchResult {
  readonly runs: ChanWebSocketBenchRun[];
}

async function runOne(path: MediaPathVariant, calls: number, seconds: number): Promise<ChanWebSocketBenchRun> {
  const audioSocketCalls: SimulatedAudioSocketCall[] = [];
  const media: SimChanWebSocket[] = [];
  const sim = await startSimulatedAsterisk({
    username: USER,
    password: PASSWORD,
    audioSocket: { dial: audioSocketDialerLink({ onCall: (c) => audioSocketCalls.push(c) }) },
    chanWebSocket: { recordArrivals: true, onConnection: (c) => media.push(c) },
  });
  const dir = await mkdtemp(join(tmpdir(), 'ava-cw-bench-'));
  const routesFile = join(dir, 'routes.json');
  const websocket = path !== 'audiosocket';
  await writeFile(
    routesFile,
    JSON.stringify({
      routes: [{ name: 'bench', agent: { kind: 'echo' }, ...(websocket ? { media: 'websocket' } : {}) }],
    }),
  );
  const { child } = await startService({
    ARI_URL: sim.url,
    ARI_USERNAME: USER,
    ARI_PASSWORD: PASSWORD,
    ROUTES_FILE: routesFile,
    AUDIOSOCKET_HOST: '127.0.0.1',
    AUDIOSOCKET_PORT: '0',
    HTTP_ENABLED: 'false',
    VAD: 'off',
    LOG_LEVEL: 'warn',
    CHAN_WEBSOCKET_PACING: path === 'websocket-asterisk' ? 'asterisk' : 'clock',
  });
  try {
    const tone = generateTone({ rate: 8000, freq: 440, amplitude: 6000, ms: 1000 });
    for (let i = 0; i < calls; i++) {
      await sim.placeInboundCall({ audio: { type: 'samples', samples: tone, loop: true } });
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const connected = websocket ? media.length : audioSocketCalls.length;
    const windowStart = performance.now();
    const cpu0 = (await processCpuMs(child.pid ?? 0)) ?? 0;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpu1 = (await processCpuMs(child.pid ?? 0)) ?? 0;
    const windowEnd = performance.now();
    const gaps: number[] = [];
    const collect = (times: readonly number[]) => {
      let prev: number | undefined;
      for (const t of times) {
        if (t < windowStart || t > windowEnd) continue;
        if (prev !== undefined) gaps.push(t - prev);
        prev = t;
      }
    };
    if (websocket) for (const m of media) collect(m.arrivals);
    else for (const c of audioSocketCalls) collect(c.received.filter((f) => f.kind !== 0).map((f) => f.at));
    return {
      path,
      calls,
      seconds,
      serviceCpuMsPerCallSecond: (cpu1 - cpu0) / (calls * seconds),
      frameGaps: gapStats(gaps),
      connected,
    };
  } finally {
    await stopService(child);
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runChanWebSocketBench(
  options: { calls?: number; seconds?: number } = {},
): Promise<ChanWebSocketBenchResult> {
  const calls = options.calls ?? 200;
  const seconds = options.seconds ?? 10;
  const runs: ChanWebSocketBenchRun[] = [];
  for (const path of ['audiosocket', 'websocket-clock', 'websocket-asterisk'] as const) {
    runs.push(await runOne(path, calls, seconds));
  }
  return { runs };
}

export function formatChanWebSocketBench(r: ChanWebSocketBenchResult): string {
  const lines = [
    '| media path | calls | connected | service CPU ms / call-s | gap p50 ms | gap p99 ms | gap max ms | gaps > 30 ms % |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const x of r.runs) {
    const g = x.frameGaps;
    lines.push(
      `| ${x.path} | ${x.calls} | ${x.connected} | ${x.serviceCpuMsPerCallSecond.toFixed(2)} | ${g.p50Ms.toFixed(2)} | ${g.p99Ms.toFixed(2)} | ${g.maxMs.toFixed(1)} | ${g.pctOver30Ms.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  helpIfAsked(
    'usage: npx tsx bench/suites/chan-websocket.ts [seconds=10] [calls=200]\nchan_websocket media benchmark against the simulated Asterisk; prints its table.',
  );
  const seconds = Number(process.argv[2] ?? 10);
  const calls = Number(process.argv[3] ?? 200);
  const result = await runChanWebSocketBench({ calls, seconds });
  console.log(formatChanWebSocketBench(result));
}
