import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { MediaClock } from '../../src/audio/media-clock.js';
import type { SimRealtimeSession } from '../../src/simulator/realtime/realtime-sim-session.js';
import { startRealtimeSimulator } from '../../src/simulator/realtime/realtime-simulator.js';
import {
  audioKindOf,
  audioTotals,
  dialSilentCallers,
  type RealtimeBenchFormat,
  realtimeBenchRoute,
  type SilentCallers,
  writeRoutesFile,
} from '../lib/realtime-callers.js';
import { type BenchMachine, benchMachine, pin, startService, stopService } from '../lib/service-process.js';
import { type GapStats, gapStats, processCpuMs, processRssMb } from '../lib/stats.js';
import { helpIfAsked } from '../lib/script-args.js';

export type { RealtimeBenchFormat } from '../lib/realtime-callers.js';

export interface RealtimeBenchOptions {
  readonly calls?: readonly number[];
  /** Measured seconds per run. */
  readonly seconds?: number;
  readonly formats?: readonly RealtimeBenchFormat[];
  /** Seconds of steady load before measuring. Default 3. */
  readonly warmupSeconds?: number;
}

export interface RealtimeBenchRun {
  readonly format: RealtimeBenchFormat;
  readonly calls: number;
  readonly seconds: number;
  readonly serviceCpuMsPerCallSecond: number;
  readonly serviceCpuPctOfCore: number;
  readonly serviceRssMb: number | undefined;
  readonly downlinkGaps: GapStats;
  /** Frames the callers received in the window / frames a perfect 50 fps would give. */
  readonly downlinkFrameRatio: number;
  /** Appends the simulator received per call-second (50 when every caller frame reached the model). */
  readonly appendsPerCallSecond: number;
  /** Model audio deltas sent per call-second. */
  readonly deltasPerCallSecond: number;
  readonly sessions: number;
  readonly generatorLatenessP99Ms: number;
  readonly valid: boolean;
}

export interface RealtimeBenchResult extends BenchMachine {
  readonly method: string;
  readonly runs: readonly RealtimeBenchRun[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function run(
  format: RealtimeBenchFormat,
  calls: number,
  seconds: number,
  warmupSeconds: number,
): Promise<RealtimeBenchRun> {
  const timers = new Set<NodeJS.Timeout>();
  const sessions: SimRealtimeSession[] = [];
  const sim = await startRealtimeSimulator({
    record: false,
    speed: 4,
    deltaMs: 100,
    onSession: (s) => {
      sessions.push(s);
      const t = setInterval(() => {
        if (s.closed) {
          clearInterval(t);
          timers.delete(t);
        } else if (!s.activeResponse) s.respond({ audioMs: 3000, transcript: 'This is the simulated model speaking.' });
      }, 4000);
      timers.add(t);
    },
  });
  // Dialplan-direct UUIDs are admitted when a route names them.
  const uuids = Array.from({ length: calls }, () => randomUUID());
  const routesFile = await writeRoutesFile([
    realtimeBenchRoute({ name: 'bench-realtime', uuids, format, url: sim.url }),
  ]);
  const { child, port } = await startService({
    AUDIOSOCKET_HOST: '127.0.0.1',
    AUDIOSOCKET_PORT: '0',
    HTTP_PORT: '0',
    ROUTES_FILE: routesFile,
    VAD: 'off',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
  });
  pin(child.pid!, 1);
  pin(process.pid, 0);
  const clock = new MediaClock();
  clock.start();
  let callers: SilentCallers | undefined;
  try {
    callers = await dialSilentCallers({ port, uuids, kind: audioKindOf(format), clock });
    await sleep(warmupSeconds * 1000);
    const before = audioTotals(sessions);
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const cpu0 = await processCpuMs(child.pid!);
    const t0 = performance.now();
    callers.startWindow();
    await sleep(seconds * 1000);
    const { gaps, frames: framesInWindow } = callers.endWindow();
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = await processCpuMs(child.pid!);
    const rss = await processRssMb(child.pid!);
    loop.disable();
    const after = audioTotals(sessions);
    const cpuMs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : Number.NaN;
    const callSeconds = calls * elapsed;
    const lateness = loop.percentile(99) / 1e6;
    return {
      format,
      calls,
      seconds: +elapsed.toFixed(2),
      serviceCpuMsPerCallSecond: +(cpuMs / callSeconds).toFixed(3),
      serviceCpuPctOfCore: +((100 * cpuMs) / (elapsed * 1000)).toFixed(1),
      serviceRssMb: rss !== undefined ? +rss.toFixed(1) : undefined,
      downlinkGaps: gapStats(gaps),
      downlinkFrameRatio: +(framesInWindow / (callSeconds * 50)).toFixed(4),
      appendsPerCallSecond: +((after.appends - before.appends) / callSeconds).toFixed(2),
      deltasPerCallSecond: +((after.deltas - before.deltas) / callSeconds).toFixed(2),
      sessions: sessions.filter((s) => !s.closed).length,
      generatorLatenessP99Ms: +lateness.toFixed(2),
      valid: lateness <= 10,
    };
  } finally {
    await clock.close();
    for (const t of timers) clearInterval(t);
    await callers?.hangup();
    await stopService(child);
    await sim.close();
  }
}

/** Runs each format at each call count in turn. */
export async function runRealtimeBench(options: RealtimeBenchOptions = {}): Promise<RealtimeBenchResult> {
  const calls = options.calls ?? [100, 200];
  const seconds = options.seconds ?? 20;
  const formats = options.formats ?? ['pcmu', 'pcm24k'];
  const warmup = options.warmupSeconds ?? 3;
  const loadAverageAtStart = loadavg().map((x) => +x.toFixed(2));
  const runs: RealtimeBenchRun[] = [];
  for (const format of formats) for (const n of calls) runs.push(await run(format, n, seconds, warmup));
  return {
    ...benchMachine(loadAverageAtStart),
    method:
      `service (ava, own process, VAD off) <- AudioSocket callers sending silence at 20 ms (this process) -> Realtime ` +
      `simulator (this process, no recording, turn detection off); each session's model speaks 3 s every 4 s in 100 ms deltas at 4x real ` +
      `time; pcmu: slin 8 kHz leg, audio/pcmu session; pcm24k: slin16 leg, audio/pcm 24 kHz session; warm-up ${warmup} s ` +
      `after the last caller connected, then ${seconds} s measured; service CPU from /proc/<pid>/stat.`,
    runs,
  };
}

export function formatRealtimeBench(r: RealtimeBenchResult): string {
  return [
    `OpenAI Realtime calls: dialplan-direct AudioSocket -> service (own process${r.pinned ? ', pinned to core 1; callers and simulator on core 0' : ''}) -> Realtime simulator`,
    `node ${r.node}, ${r.cpuModel}, ${r.cores} cores, load average at start ${r.loadAverageAtStart.join(' ')}`,
    `method: ${r.method}`,
    '| format | calls | service CPU ms/call-s | % of a core | RSS MB | gap p50 ms | gap p99 ms | gaps > 30 ms | frames delivered | appends/call-s | deltas/call-s | valid |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.runs.map(
      (x) =>
        `| ${x.format} | ${x.calls} | ${x.serviceCpuMsPerCallSecond} | ${x.serviceCpuPctOfCore} | ${x.serviceRssMb ?? '-'} | ${x.downlinkGaps.p50Ms.toFixed(1)} | ${x.downlinkGaps.p99Ms.toFixed(1)} | ${x.downlinkGaps.pctOver30Ms.toFixed(2)} % | ${(100 * x.downlinkFrameRatio).toFixed(1)} % | ${x.appendsPerCallSecond} | ${x.deltasPerCallSecond} | ${x.valid ? 'yes' : `no (generator p99 lateness ${x.generatorLatenessP99Ms} ms)`} |`,
    ),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  helpIfAsked(
    'usage: npx tsx bench/suites/realtime.ts [seconds=20] [calls=100,200]\nRealtime agent benchmark against the Realtime simulator; prints its table.',
  );
  const seconds = Number(process.argv[2] ?? 20);
  const calls = (process.argv[3] ?? '100,200').split(',').map(Number);
  process.stdout.write(`npx tsx bench/suites/realtime.ts ${seconds} ${calls.join(',')}\n`);
  const result = await runRealtimeBench({ seconds, calls });
  process.stdout.write(`${formatRealtimeBench(result)}\n`);
}
