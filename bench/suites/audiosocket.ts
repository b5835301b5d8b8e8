/**
 * AudioSocket benchmark: N simulated Asterisk calls, each echoed by the server through its own PlayoutBuffer paced by
 * one MediaClock (dialer → AudioSocketServer → PlayoutBuffer → MediaClock tick → sendAudio → dialer).
 *
 * The server runs in this process; the simulated callers run in a child process (this same file started with
 * `--load-generator`), so `process.cpuUsage()` here measures the server side alone. Reported per call count:
 * server CPU ms per call-second, and the downlink frame gaps the callers saw (p50/p99/max, share over 30 ms).
 *
 * `runAudioSocketBench()` returns the figures; run this file directly to print them:
 * `npx tsx bench/suites/audiosocket.ts [seconds] [calls,calls,…]` (defaults: 20 s, 100,300).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MediaClock } from '../../src/audio/media-clock.js';
import { PlayoutBuffer } from '../../src/audio/playout-buffer.js';
import { createLogger } from '../../src/observability/logger.js';
import type { AudioKind } from '../../src/protocols/audiosocket/kinds.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { dialRamped } from '../lib/ramped-dials.js';
import { fixedOrNa, type GapStats, gapStats, type MachineInfo, machineInfo } from '../lib/stats.js';
import { AudioSocketServer } from '../../src/transports/audiosocket/audiosocket-server.js';
import { UuidRegistry } from '../../src/transports/audiosocket/uuid-registry.js';
import { nextMessage, stopChild } from '../lib/child-messages.js';
import { helpIfAsked } from '../lib/script-args.js';

export interface AudioSocketBenchOptions {
  /** Concurrent call counts to measure, one run each. */
  readonly calls: readonly number[];
  /** Measured seconds per run (after ramp-up and warm-up). */
  readonly seconds: number;
  /** Seconds of steady load before measuring. Default 3. */
  readonly warmupSeconds?: number;
  /** Callers connect spread over this many ms, like calls arriving. Default 1000. */
  readonly rampMs?: number;
  /** Audio kind: 0x10 slin 8 kHz (default) or 0x12 slin16. */
  readonly kind?: AudioKind;
}

export type { GapStats } from '../lib/stats.js';

export interface AudioSocketBenchRun {
  readonly calls: number;
  readonly seconds: number;
  /** Server process CPU (user + system) per call-second of audio, ms. */
  readonly serverCpuMsPerCallSecond: number;
  /** Server process CPU over the window as a share of one core, percent. */
  readonly serverCpuPctOfCore: number;
  /** Load generator CPU per call-second, ms (for context: it shares the machine). */
  readonly loadGenCpuMsPerCallSecond: number;
  /** Gaps between consecutive frames each caller received from the server. */
  readonly downlinkGaps: GapStats;
  /** Frames the callers received in the window / frames a perfect 50 fps would give. */
  readonly downlinkFrameRatio: number;
  /** Server event-loop delay over the window, ms. */
  readonly serverLoopDelayP99Ms: number;
  readonly serverLoopDelayMaxMs: number;
  /** Load-generator event-loop delay over the window, ms (its lateness shows up in the measured gaps). */
  readonly loadGenLoopDelayP99Ms: number;
  /** Server MediaClock ticks in the window that fired over one interval late, and ticks skipped. */
  readonly clockLateTicks: number;
  readonly clockMissedTicks: number;
  readonly framesDropped: number;
  readonly protocolErrors: number;
  /** Calls still connected at the end of the window (should equal `calls`). */
  readonly callsConnected: number;
}

export interface AudioSocketBenchResult extends MachineInfo {
  readonly kind: AudioKind;
  readonly warmupSeconds: number;
  readonly method: string;
  readonly runs: readonly AudioSocketBenchRun[];
}

/** Parent → load generator. */
type ToLoadGen =
  | { type: 'start'; host: string; port: number; uuids: string[]; kind: AudioKind; rampMs: number }
  | { type: 'measure' }
  | { type: 'report' }
  | { type: 'stop' };

/** Load generator → parent. */
type FromLoadGen =
  | { type: 'ready'; connected: number }
  | { type: 'report'; gaps: GapStats; frames: number; cpuUs: number; loopP99Ms: number; open: number }
  | { type: 'error'; message: string };

const THIS_FILE = fileURLToPath(import.meta.url);

/** The next message of `type` from the load generator (typed for this suite's messages). */
const fromLoadGen = <T extends FromLoadGen['type']>(child: ChildProcess, type: T, timeoutMs: number) =>
  nextMessage<FromLoadGen, T>(child, type, timeoutMs);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function runOne(calls: number, opts: Required<AudioSocketBenchOptions>): Promise<AudioSocketBenchRun> {
  const logger = createLogger({ level: 'warn', pretty: false, destination: { write: () => {} } });
  const registry = new UuidRegistry<number>();
  const clock = new MediaClock();
  const server = new AudioSocketServer<number>({
    host: '127.0.0.1',
    port: 0,
    maxFrameBytes: 8192,
    handshakeTimeoutMs: 5000,
    idleTimeoutMs: 15_000,
    admission: registry,
    logger,
    maxConnections: calls + 16,
  });
  server.on('connection', (conn) => {
    const playout = new PlayoutBuffer({ format: conn.outboundFormat, maxMs: 5000 });
    const silence = Buffer.alloc(playout.frameBytes);
    const unsubscribe = clock.subscribe(() => {
      conn.sendAudio(playout.take()?.data ?? silence);
    });
    conn.on('audio', (audio) => {
      playout.push(audio.payload);
    });
    conn.on('close', unsubscribe);
  });
  const { host, port } = await server.listen();
  clock.start();
  const uuids = Array.from({ length: calls }, () => randomUUID());
  for (const uuid of uuids) registry.register(uuid, 0, 120_000);

  const child = fork(THIS_FILE, ['--load-generator'], {
    // The child runs this TypeScript file too; resolve the loader from here so any working directory works.
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const send = (m: ToLoadGen): void => {
    child.send(m);
  };
  try {
    send({ type: 'start', host, port, uuids, kind: opts.kind, rampMs: opts.rampMs });
    await fromLoadGen(child, 'ready', 60_000);
    await sleep(opts.warmupSeconds * 1000);

    const loop = monitorEventLoopDelay({ resolution: 5 });
    const statsBefore = { ...clock.stats };
    send({ type: 'measure' });
    loop.enable();
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    await sleep(opts.seconds * 1000);
    const cpu = process.cpuUsage(cpuBefore);
    const elapsedS = (performance.now() - t0) / 1000;
    loop.disable();
    const counters = server.counters;
    send({ type: 'report' });
    const report = await fromLoadGen(child, 'report', 60_000);
    const callSeconds = calls * elapsedS;
    return {
      calls,
      seconds: elapsedS,
      serverCpuMsPerCallSecond: (cpu.user + cpu.system) / 1000 / callSeconds,
      serverCpuPctOfCore: (100 * (cpu.user + cpu.system)) / 1e6 / elapsedS,
      loadGenCpuMsPerCallSecond: report.cpuUs / 1000 / callSeconds,
      downlinkGaps: report.gaps,
      downlinkFrameRatio: report.frames / (calls * elapsedS * 50),
      serverLoopDelayP99Ms: loop.percentile(99) / 1e6,
      serverLoopDelayMaxMs: loop.max / 1e6,
      loadGenLoopDelayP99Ms: report.loopP99Ms,
      clockLateTicks: clock.stats.late - statsBefore.late,
      clockMissedTicks: clock.stats.missed - statsBefore.missed,
      framesDropped: counters.framesDropped,
      protocolErrors: counters.protocolErrors,
      callsConnected: report.open,
    };
  } finally {
    await stopChild(child, { type: 'stop' } satisfies ToLoadGen, 10_000);
    await server.close();
    await clock.close();
  }
}

/** Runs the benchmark for each call count in turn. */
export async function runAudioSocketBench(options: AudioSocketBenchOptions): Promise<AudioSocketBenchResult> {
  const opts: Required<AudioSocketBenchOptions> = {
    calls: options.calls,
    seconds: options.seconds,
    warmupSeconds: options.warmupSeconds ?? 3,
    rampMs: options.rampMs ?? 1000,
    kind: options.kind ?? 0x10,
  };
  const loadAverageAtStart = loadavg();
  const runs: AudioSocketBenchRun[] = [];
  for (const n of opts.calls) runs.push(await runOne(n, opts));
  return {
    ...machineInfo(loadAverageAtStart),
    kind: opts.kind,
    warmupSeconds: opts.warmupSeconds,
    method:
      'server (AudioSocketServer + one PlayoutBuffer per call + one MediaClock) in this process; simulated Asterisk ' +
      'callers (one private drift-free 20 ms clock each, connecting over the ramp) in a child process over TCP on ' +
      '127.0.0.1; each call echoes: inbound frame → PlayoutBuffer → one frame per tick → sendAudio. Server CPU is ' +
      'process.cpuUsage() of this process over the window; gaps are between consecutive downlink frames per call, ' +
      'timestamped with performance.now() at the caller when its TCP read arrives.',
    runs,
  };
}

/** The child process: dials the calls, timestamps every downlink frame, reports gap statistics. */
async function loadGenerator(): Promise<void> {
  const calls: SimulatedAudioSocketCall[] = [];
  let measuring = false;
  let gaps = new Float64Array(1 << 16);
  let gapCount = 0;
  let frames = 0;
  let cpuStart = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const reply = (m: FromLoadGen): void => {
    process.send?.(m);
  };
  const pushGap = (g: number): void => {
    if (gapCount === gaps.length) {
      const bigger = new Float64Array(gaps.length * 2);
      bigger.set(gaps);
      gaps = bigger;
    }
    gaps[gapCount++] = g;
  };
  process.on('message', (m: ToLoadGen) => {
    switch (m.type) {
      case 'start':
        void (async () => {
          try {
            const connected = await dialRamped(m.uuids, m.rampMs, (uuid) => {
              let last = Number.NaN;
              return dialAudioSocket({
                host: m.host,
                port: m.port,
                uuid,
                kind: m.kind,
                source: { type: 'silence' },
                recordReceived: false,
                recordPayloads: false,
                recordSent: false,
                connectTimeoutMs: 10_000,
                onFrame: (f) => {
                  if (!measuring) {
                    last = Number.NaN;
                    return;
                  }
                  frames += 1;
                  if (!Number.isNaN(last)) pushGap(f.at - last);
                  last = f.at;
                },
              });
            });
            calls.push(...connected);
            reply({ type: 'ready', connected: calls.length });
          } catch (err) {
            reply({ type: 'error', message: (err as Error).message });
          }
        })();
        return;
      case 'measure':
        measuring = true;
        cpuStart = process.cpuUsage();
        loop.enable();
        return;
      case 'report': {
        measuring = false;
        loop.disable();
        const cpu = process.cpuUsage(cpuStart);
        reply({
          type: 'report',
          gaps: gapStats(gaps.subarray(0, gapCount)),
          frames,
          cpuUs: cpu.user + cpu.system,
          loopP99Ms: loop.percentile(99) / 1e6,
          open: calls.filter((c) => c.state === 'open').length,
        });
        return;
      }
      case 'stop':
        void Promise.all(calls.map((c) => c.hangup())).finally(() => process.exit(0));
        return;
    }
  });
  process.on('disconnect', () => process.exit(0));
}

export function formatAudioSocketBench(r: AudioSocketBenchResult): string {
  const out: string[] = [];
  out.push(`AudioSocket echo benchmark — node ${r.node}, ${r.cores} × ${r.cpuModel}`);
  out.push(`load average at start: ${r.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}`);
  out.push(`kind 0x${r.kind.toString(16)}, warm-up ${r.warmupSeconds} s`);
  out.push(`method: ${r.method}`);
  const head = [
    'calls',
    'window s',
    'srv CPU ms/call-s',
    'srv % core',
    'gen ms/call-s',
    'gap p50',
    'gap p99',
    'gap max',
    '% >30ms',
    'rx/50fps',
    'srv loop p99',
    'gen loop p99',
    'late ticks',
    'dropped',
  ];
  const rows = r.runs.map((x) => [
    String(x.calls),
    fixedOrNa(x.seconds, 1),
    fixedOrNa(x.serverCpuMsPerCallSecond, 3),
    fixedOrNa(x.serverCpuPctOfCore, 1),
    fixedOrNa(x.loadGenCpuMsPerCallSecond, 3),
    fixedOrNa(x.downlinkGaps.p50Ms),
    fixedOrNa(x.downlinkGaps.p99Ms),
    fixedOrNa(x.downlinkGaps.maxMs),
    fixedOrNa(x.downlinkGaps.pctOver30Ms, 3),
    fixedOrNa(x.downlinkFrameRatio, 4),
    fixedOrNa(x.serverLoopDelayP99Ms),
    fixedOrNa(x.loadGenLoopDelayP99Ms),
    `${x.clockLateTicks}/${x.clockMissedTicks}`,
    String(x.framesDropped),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  out.push(line(head));
  for (const row of rows) out.push(line(row));
  out.push('gaps in ms at the simulated caller; late ticks = server clock ticks over one interval late / skipped');
  return out.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  helpIfAsked(
    'usage: npx tsx bench/suites/audiosocket.ts [seconds=20] [calls=100,300]\nAudioSocket server benchmark: concurrent dialplan-direct calls against the echo service; prints frame timing per step.',
  );
  if (process.argv[2] === '--load-generator') {
    void loadGenerator();
  } else {
    const seconds = process.argv[2] === undefined ? 20 : Number(process.argv[2]);
    const calls = process.argv[3] === undefined ? [100, 300] : process.argv[3].split(',').map(Number);
    runAudioSocketBench({ calls, seconds }).then(
      (result) => {
        console.log(formatAudioSocketBench(result));
      },
      (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
      },
    );
  }
}
