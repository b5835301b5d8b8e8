/**
 * Media-workers benchmark: the max-calls search of the calls suite run three times in one run — MEDIA_WORKERS=0 (the
 * whole service in one process, the baseline), 1 and 2 — with the same gap rule (bench/lib/step-search.ts) and the
 * same callers (dialplan-direct AudioSocket calls, VAD off, spread over the 20 ms period, native WebSocket echo
 * agent), which the primary hands over to its workers.
 *
 * Placement (bench/lib/cpu-accounting.ts `placementFor`, taskset, every thread of each process): the generator
 * (callers' child and echo agent) on core 0, the primary on core 1, worker i on core 1 + i, wrapping to core 0. The
 * workers are pinned by PID once the service is ready (the service reports them): forked children start with the
 * affinity the primary had when it forked them, which is not its pinned one. On 2 cores the 2-worker run has the
 * service on both cores, worker 1 beside the generator.
 *
 * Over each step's window the CPU of the primary, of each worker and of the generator's processes is read from
 * /proc/<pid>/stat, and each core's busy time from /proc/stat. The result: max calls per run, calls per worker and
 * per core the service used, the primary's share of the service's CPU at the top passing step, and the ratio of 2
 * to 1 worker against the target (≥ 1.7×), with the per-process CPU at the top step and at the first failing one
 * (where the CPU went when the target is missed).
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  describePlacement,
  type Placement,
  placementFor,
  type ScalingVerdict,
  scalingVerdict,
  type WindowCpu,
} from '../lib/cpu-accounting.js';
import { parseSeconds, parseSteps } from '../lib/load-series.js';
import { scriptArgs } from '../lib/script-args.js';
import { type BenchMachine, benchMachine, CAN_PIN, parseServiceEnv } from '../lib/service-process.js';
import {
  judgeStep,
  MAX_GAPS_OVER_30_MS_PCT,
  MAX_SERVICE_LOOP_P99_MS,
  searchHeadline,
  searchSteps,
} from '../lib/step-search.js';
import { MAX_PHASES } from '../loadgen/phased-clock.js';
import { runLoad } from '../loadgen/run-load.js';
import type { LoadResult } from '../loadgen/types.js';

/** Default steps: below the one-core capacity of a slow VM up to what two fast cores may carry. */
export const DEFAULT_STEPS: readonly number[] = [50, 75, 100, 150, 200, 250, 300, 400, 500, 600];
/** The worker counts of a run, in order: the baseline first. */
export const DEFAULT_WORKERS: readonly number[] = [0, 1, 2];

export interface MediaWorkersOptions {
  readonly steps?: readonly number[];
  /** Measured window per step, s. Default 10. */
  readonly seconds?: number;
  /** Wall-time budget of all load steps, s; each run gets an even share of what is left. Default 660. */
  readonly budgetS?: number;
  readonly maxFailures?: number;
  readonly workers?: readonly number[];
  /** Extra service environment (MEDIA_WORKERS is the suite's own and cannot be set here). */
  readonly serviceEnv?: Readonly<Record<string, string>>;
  /**
   * Write a CPU profile of the primary and of every worker of every step into this directory (bench/lib/
   * cpu-profile-preload.mjs through NODE_OPTIONS, which the workers inherit): `<pid>-calls-server.cpuprofile` and
   * `<pid>-media-worker.cpuprofile`, each covering its process's life (start-up, ramp, window, stop).
   */
  readonly cpuProfDir?: string;
}

/** The service environment that makes each of its processes write a CPU profile into `dir` as it exits. */
export function cpuProfileEnv(dir: string): Record<string, string> {
  const preload = new URL('../lib/cpu-profile-preload.mjs', import.meta.url).href;
  return { NODE_OPTIONS: `--import=${preload}`, BENCH_CPU_PROF_DIR: resolve(dir) };
}

export interface MediaWorkersStep {
  readonly calls: number;
  readonly retry: boolean;
  readonly passed: boolean;
  readonly reasons: readonly string[];
  readonly result: LoadResult;
}

export interface WorkersRun {
  readonly workers: number;
  readonly placement: Placement;
  /** Every step's processes were pinned as `placement` says (taskset succeeded for each). */
  readonly pinned: boolean;
  readonly howItRan: string;
  readonly steps: readonly MediaWorkersStep[];
  /** Largest passing step; 0 when none passed. */
  readonly maxCalls: number;
  readonly nonMonotonic: boolean;
  /** max calls per worker (undefined without workers: the baseline is calls per service core, `maxCalls`). */
  readonly callsPerWorker: number | undefined;
  /** Distinct cores the service (primary and workers) was pinned to, and max calls per such core. */
  readonly pinnedServiceCores: number;
  readonly callsPerPinnedCore: number;
  /** At the top passing step: the CPU the service used in cores, and max calls per core so used. */
  readonly serviceCoresUsed: number | undefined;
  readonly callsPerUsedCore: number | undefined;
  /** Per-process and per-core CPU at the top passing step and at the first failing step above it. */
  readonly top: { readonly calls: number; readonly cpu: WindowCpu } | undefined;
  readonly firstFailure:
    | { readonly calls: number; readonly cpu: WindowCpu | undefined; readonly reasons: readonly string[] }
    | undefined;
  readonly notRun: readonly number[];
  readonly stopped: string;
}

export interface MediaWorkersResult extends BenchMachine {
  readonly seconds: number;
  readonly steps: readonly number[];
  readonly serviceEnv: Readonly<Record<string, string>>;
  readonly runs: readonly WorkersRun[];
  /** 2 workers against 1, when both ran. */
  readonly scaling: ScalingVerdict | undefined;
  readonly wallS: number;
}

/** Rough wall time of one step: service and workers start, ramp + warm-up, window, report, teardown. */
const stepSeconds = (calls: number, seconds: number, workers: number): number =>
  8 + 2 * workers + calls / 100 + Math.max(3, 1 + calls / 100) + seconds;

const round = (x: number, d = 1): number => +x.toFixed(d);

async function workersRun(
  workers: number,
  steps: readonly number[],
  o: {
    seconds: number;
    budgetS: number;
    maxFailures: number;
    serviceEnv: Readonly<Record<string, string>>;
    cores: number;
  },
): Promise<WorkersRun> {
  const placement = placementFor(workers, o.cores);
  const t0 = performance.now();
  const outcome = await searchSteps({
    steps,
    maxFailures: o.maxFailures,
    fits: (calls) => (performance.now() - t0) / 1000 + stepSeconds(calls, o.seconds, workers) <= o.budgetS,
    run: async (calls) => {
      const result = await runLoad({
        calls,
        seconds: o.seconds,
        vad: false,
        rampS: calls / 100,
        phases: MAX_PHASES,
        placement,
        // Set explicitly in every run: the service's default is not the baseline this suite compares against.
        serviceEnv: { ...o.serviceEnv, MEDIA_WORKERS: String(workers) },
      });
      return { result, verdict: judgeStep(result) };
    },
    judge: (x) => ({ passed: x.verdict.passed, disturbed: x.result.disturbance !== undefined }),
  });
  const done: MediaWorkersStep[] = outcome.done.map((s) => ({
    calls: s.calls,
    retry: s.retry,
    passed: s.passed,
    reasons: s.result.verdict.reasons,
    result: s.result.result,
  }));
  const h = searchHeadline(outcome.done);
  const topStep = done.filter((s) => s.passed && s.calls === h.maxCalls).at(-1);
  // A retried step counts by its last run.
  const last = new Map(done.map((s) => [s.calls, s]));
  const fail = [...last.values()].filter((s) => !s.passed && s.calls > h.maxCalls).sort((a, b) => a.calls - b.calls)[0];
  const pinnedServiceCores = new Set([placement.primary, ...placement.workers]).size;
  const serviceCoresUsed = topStep?.result.processCpu?.serviceCores;
  const pinned = done.length > 0 && done.every((s) => s.result.pinned);
  return {
    workers,
    placement,
    pinned,
    howItRan: `MEDIA_WORKERS=${workers}: ${describePlacement(placement)}${pinned ? '' : ' (NOT pinned in every step: taskset failed or no step ran; the cores are where it was meant to run)'}`,
    steps: done,
    maxCalls: h.maxCalls,
    nonMonotonic: h.nonMonotonic,
    callsPerWorker: workers > 0 ? round(h.maxCalls / workers) : undefined,
    pinnedServiceCores,
    callsPerPinnedCore: round(h.maxCalls / pinnedServiceCores),
    serviceCoresUsed,
    callsPerUsedCore: serviceCoresUsed ? round(h.maxCalls / serviceCoresUsed) : undefined,
    top: topStep?.result.processCpu ? { calls: topStep.calls, cpu: topStep.result.processCpu } : undefined,
    firstFailure: fail ? { calls: fail.calls, cpu: fail.result.processCpu, reasons: fail.reasons } : undefined,
    notRun: outcome.notRun,
    stopped: outcome.error ? `error: ${outcome.error}` : outcome.stopped,
  };
}

export async function runMediaWorkersBench(options: MediaWorkersOptions = {}): Promise<MediaWorkersResult> {
  if (!CAN_PIN) throw new Error('the media-workers suite needs taskset and at least 2 cores (it pins each process)');
  if (options.serviceEnv && 'MEDIA_WORKERS' in options.serviceEnv)
    throw new Error('MEDIA_WORKERS is set by the media-workers suite itself (0, 1, 2); leave it out of --service-env');
  const steps = [...(options.steps ?? DEFAULT_STEPS)].sort((a, b) => a - b);
  const seconds = options.seconds ?? 10;
  const budgetS = options.budgetS ?? 660;
  const counts = options.workers ?? DEFAULT_WORKERS;
  const serviceEnv = {
    ...options.serviceEnv,
    ...(options.cpuProfDir === undefined ? {} : cpuProfileEnv(options.cpuProfDir)),
  };
  const machine = benchMachine(loadavg().map((x) => +x.toFixed(2)));
  const t0 = performance.now();
  const runs: WorkersRun[] = [];
  for (const [i, workers] of counts.entries()) {
    const leftS = budgetS - (performance.now() - t0) / 1000;
    runs.push(
      await workersRun(workers, steps, {
        seconds,
        budgetS: leftS / (counts.length - i),
        maxFailures: options.maxFailures ?? 2,
        serviceEnv,
        cores: machine.cores,
      }),
    );
  }
  const one = runs.find((r) => r.workers === 1);
  const two = runs.find((r) => r.workers === 2);
  return {
    ...machine,
    seconds,
    steps,
    serviceEnv,
    runs,
    scaling: one && two ? scalingVerdict(one.maxCalls, two.maxCalls) : undefined,
    wallS: Math.round((performance.now() - t0) / 1000),
  };
}

const dash = (x: number | undefined, suffix = ''): string => (x === undefined ? '-' : `${x}${suffix}`);

/** One line per process and per core of a window: where the CPU went. */
export function formatWindowCpu(cpu: WindowCpu): string[] {
  return [
    `  service CPU ${cpu.serviceCores} cores: primary ${cpu.primaryPctOfService} %, workers ${cpu.workersPctOfService} %`,
    ...cpu.processes.map((p) => `  ${p.name} (pid ${p.pid}, core ${dash(p.core)}): ${p.pctOfCore} % of a core`),
    ...cpu.cores.map(
      (c) =>
        `  core ${c.core}: busy ${c.busyPct} % (the processes above ${c.sampledPct} %, anything else ${c.otherPct} %)`,
    ),
  ];
}

function stepLine(workers: number, s: MediaWorkersStep): string {
  const r = s.result;
  const cpu = r.processCpu;
  const pct = (role: string): string =>
    cpu
      ? cpu.processes
          .filter((p) => p.role === role)
          .map((p) => `${p.pctOfCore}`)
          .join(' + ') || '-'
      : '-';
  const cells = [
    String(workers),
    `${s.calls}${s.retry ? ' (retry)' : ''}`,
    `${pct('primary')} %`,
    workers > 0 ? `${pct('worker')} %` : '-',
    `${pct('generator')} %`,
    cpu ? cpu.cores.map((c) => `${c.core}: ${c.busyPct} %`).join(', ') : '-',
    `${r.downlink.gaps.pctOver30Ms.toFixed(2)} %`,
    r.downlink.gaps.p99Ms.toFixed(1),
    `${r.downlink.lostPct} %`,
    dash(r.server?.eventLoopP99Ms),
    `loop p99 ${r.generator.loopDelayP99Ms} ms, ${r.generator.lateTicksPct} % ticks late`,
    `${r.valid ? 'yes' : 'NO'}${r.disturbance ? ' (disturbed)' : ''}`,
    s.passed ? 'pass' : `fail: ${s.reasons.join('; ')}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

export function formatMediaWorkersBench(r: MediaWorkersResult): string {
  const env = Object.entries(r.serviceEnv);
  const lines = [
    `Media workers: the max-calls search with MEDIA_WORKERS=${r.runs.map((x) => x.workers).join(', then ')}; dialplan-direct AudioSocket calls (VAD off, spread over ${MAX_PHASES} phases of the 20 ms period) -> primary -> handed to a worker -> native WS echo agent; ${r.seconds} s windows`,
    `node ${r.node}, ${r.cpuModel}, ${r.cores} cores, load average at start ${r.loadAverageAtStart.join(' ')}; whole search ${r.wallS} s`,
    `steps ${r.steps.join(', ')} calls, a fresh service each; a run stops after two failing steps; extra service environment: ${env.length > 0 ? env.map(([k, v]) => `${k}=${v}`).join(' ') : 'none'}`,
    `gap rule (the calls suite's): < ${MAX_GAPS_OVER_30_MS_PCT} % of downlink gaps > 30 ms, the primary's event-loop delay p99 <= ${MAX_SERVICE_LOOP_P99_MS} ms, valid run (the generator kept up)`,
    '',
    'How each run was placed (taskset, every thread; workers pinned by PID once the service was ready):',
    ...r.runs.map((x) => `- ${x.howItRan}`),
    '',
    '| workers | max calls | calls per worker | service cores pinned | calls per pinned core | service CPU at top step, cores | calls per core used | primary / workers % of service CPU at top step | not run |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.runs.map(
      (x) =>
        `| ${x.workers} | ${x.maxCalls}${x.nonMonotonic ? ' (a smaller step failed)' : ''} | ${dash(x.callsPerWorker)} | ${x.pinnedServiceCores} | ${x.callsPerPinnedCore} | ${dash(x.serviceCoresUsed)} | ${dash(x.callsPerUsedCore)} | ${x.top ? `${x.top.cpu.primaryPctOfService} / ${x.top.cpu.workersPctOfService}` : '-'} | ${x.notRun.length > 0 ? `${x.notRun.join(', ')} (${x.stopped})` : '-'} |`,
    ),
    '',
  ];
  const s = r.scaling;
  if (s)
    lines.push(
      s.ratio === undefined
        ? `2 workers / 1 worker: no figure (the 1-worker run passed no step: no verdict on the ${s.target}x target; per-process CPU below)`
        : `2 workers / 1 worker: ${s.ratio}x; target >= ${s.target}x: ${s.met ? 'met' : 'MISSED (where the CPU went is below)'}`,
      '',
    );
  lines.push('Where the CPU went (% of one core over the window):');
  for (const x of r.runs) {
    if (x.top)
      lines.push(`MEDIA_WORKERS=${x.workers}, top passing step ${x.top.calls} calls:`, ...formatWindowCpu(x.top.cpu));
    if (x.firstFailure)
      lines.push(
        `MEDIA_WORKERS=${x.workers}, first failing step ${x.firstFailure.calls} calls (${x.firstFailure.reasons.join('; ')}):`,
        ...(x.firstFailure.cpu ? formatWindowCpu(x.firstFailure.cpu) : ['  not measured']),
      );
  }
  lines.push(
    '',
    '| workers | calls | primary % of a core | workers % of a core | generator % of a core | cores busy | gaps > 30 ms | gap p99 ms | lost frames | primary loop p99 ms | generator | valid | gap rule |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.runs.flatMap((x) => x.steps.map((st) => stepLine(x.workers, st))),
  );
  return lines.join('\n');
}

const USAGE = `usage: npx tsx bench/suites/media-workers.ts [options]

The max-calls search with MEDIA_WORKERS=0, 1 and 2 (same gap rule, same callers); prints its tables.
  --steps LIST         call counts, comma-separated (default ${DEFAULT_STEPS.join(',')})
  --seconds S          measured window per step (default 10)
  --budget S           wall-time budget of all load steps (default 660)
  --workers LIST       worker counts, comma-separated (default ${DEFAULT_WORKERS.join(',')})
  --service-env K=V    extra environment of the service in every step (repeatable; not MEDIA_WORKERS)
  --cpu-prof DIR       CPU profile of the primary and of each worker of every step into DIR (<pid>-<entry>.cpuprofile)`;

/** Parses `--workers`: whole numbers ≥ 0, comma-separated, kept in the order given (duplicates dropped). */
export function parseWorkerCounts(list: string, name = '--workers'): number[] {
  const counts = list.split(',').map((x) => Number(x.trim()));
  if (counts.some((n) => !Number.isInteger(n) || n < 0))
    throw new Error(`${name} takes whole numbers ≥ 0, comma-separated, not "${list}"`);
  return [...new Set(counts)];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = scriptArgs('media-workers', USAGE, {
    steps: { type: 'string' },
    seconds: { type: 'string' },
    budget: { type: 'string' },
    workers: { type: 'string' },
    'service-env': { type: 'string', multiple: true },
    'cpu-prof': { type: 'string' },
  });
  const result = await runMediaWorkersBench({
    ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
    ...(values.steps ? { steps: parseSteps(values.steps) } : {}),
    ...(values.seconds ? { seconds: parseSeconds(values.seconds, '--seconds') } : {}),
    ...(values.budget ? { budgetS: parseSeconds(values.budget, '--budget') } : {}),
    ...(values.workers ? { workers: parseWorkerCounts(values.workers) } : {}),
    ...(values['service-env'] ? { serviceEnv: parseServiceEnv(values['service-env']) } : {}),
  });
  process.stdout.write(`${formatMediaWorkersBench(result)}\n`);
  process.exit(0);
}
