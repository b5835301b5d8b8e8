/**
 * Full-call benchmark: the service in its own process (pinned to core 1), dialplan-direct AudioSocket calls from the
 * load generator (bench/loadgen.ts: callers in a child process, echo agent here, both on core 0).
 *
 * Max-calls search per series (bench/lib/load-series.ts: VAD off and on, the calls spread over the 20 ms period or
 * aligned, the whole service on one core or its VAD worker on the other): steps of 150, 200, 250, 300, 400, 500
 * calls by default, in ascending order, until two steps failed the gap rule (bench/lib/step-search.ts: < 0.5 % of
 * downlink gaps over 30 ms, service event-loop delay p99 ≤ 10 ms, valid run; a failure while other processes used the
 * service's core is run once more). The headline of a series is its largest passing step, as calls per service core.
 * A time budget keeps the suite within its share of `npm run bench`: steps that would not fit are reported as not
 * run. The barge-in run follows: the agent sends a 10 s burst, each caller starts speaking 1.000 s in.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MediaClock } from '../../src/audio/media-clock.js';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, goertzelPower } from '../../src/audio/tone-analysis.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { readWavFile, toMono } from '../../src/simulator/audio/wav.js';
import { startEchoService } from '../lib/echo-service.js';
import {
  parseSeconds,
  parseSeries,
  parseSteps,
  SERIES,
  SERIES_IDS,
  type SeriesId,
  type SeriesSpec,
  type StepRow,
  stepRow,
  stepTableHeader,
  stepTableLine,
} from '../lib/load-series.js';
import { scriptArgs } from '../lib/script-args.js';
import { type BenchMachine, benchMachine, parseServiceEnv, pin } from '../lib/service-process.js';
import { percentile } from '../lib/stats.js';
import {
  judgeStep,
  MAX_GAPS_OVER_30_MS_PCT,
  MAX_SERVICE_LOOP_P99_MS,
  searchHeadline,
  searchSteps,
} from '../lib/step-search.js';
import { runLoad } from '../loadgen/run-load.js';
import type { LatencyStats, LoadResult } from '../loadgen/types.js';

const ONSET_WAV = fileURLToPath(new URL('../../test/fixtures/speech/onset-8k.wav', import.meta.url));

export { MAX_GAPS_OVER_30_MS_PCT } from '../lib/step-search.js';

/** Default steps of the max-calls search. */
export const DEFAULT_STEPS: readonly number[] = [150, 200, 250, 300, 400, 500];
/** Default series: VAD off and on, spread and aligned, whole service on one core; then VAD on with its worker apart. */
export const DEFAULT_SERIES: readonly SeriesId[] = SERIES_IDS;

export interface CallsLoadStep extends LoadResult {
  readonly calls: LoadResult['calls'] & { readonly target: number };
  readonly series: SeriesId;
  /** The gap rule met in a valid run. */
  readonly passed: boolean;
  /** Why the step failed the gap rule. */
  readonly failReasons: readonly string[];
  /** This run repeats a disturbed failure of the same step. */
  readonly retry: boolean;
  /** The figures as the tables show them. */
  readonly row: StepRow;
}

/** The headline of one series: its largest passing step, per service core, and the figures of that step. */
export interface CallsHeadline {
  readonly series: SeriesId;
  readonly label: string;
  readonly vad: boolean;
  readonly phases: number;
  /** Largest step that met the gap rule in a valid run; 0 when none passed. */
  readonly maxCalls: number;
  /**
   * `maxCalls` per core of the service: it has one core in every series (`vad-on-split`: the event loop's core; its
   * VAD worker runs on the generator's core).
   */
  readonly callsPerServiceCore: number;
  /** A step below `maxCalls` failed (the search allows one failure before it stops). */
  readonly nonMonotonic: boolean;
  /** The step the figures come from: the largest passing one, else the first measured. */
  readonly at: number | undefined;
  readonly cpuMsPerCallSecond: number | undefined;
  readonly mbPerCall: number | undefined;
  readonly eventLoopP99Ms: number | undefined;
  readonly gcPctOfWindow: number | undefined;
  readonly uplink: LatencyStats | undefined;
  readonly downlink: LatencyStats | undefined;
  readonly roundTrip: LatencyStats | undefined;
  /** Steps not run: after the second failure, or beyond the time budget. */
  readonly notRun: readonly number[];
  readonly stopped: string;
}

export interface BargeInRun {
  readonly calls: number;
  readonly measured: number;
  readonly reactionP50Ms: number;
  readonly reactionP99Ms: number;
  readonly reactionMaxMs: number;
}

export interface CallsBenchResult extends BenchMachine {
  readonly seconds: number;
  readonly steps: readonly number[];
  readonly series: readonly SeriesSpec[];
  /** Extra environment every service of the run got. */
  readonly serviceEnv: Readonly<Record<string, string>>;
  readonly load: CallsLoadStep[];
  readonly headline: CallsHeadline[];
  readonly bargeIn: BargeInRun | undefined;
}

export interface CallsBenchOptions {
  /** Steps of concurrent calls. Default {@link DEFAULT_STEPS}. */
  readonly calls?: readonly number[];
  /** Measured window per step, s. Default 10. */
  readonly seconds?: number;
  /** Series to run, in order. Default {@link DEFAULT_SERIES}. */
  readonly series?: readonly SeriesSpec[];
  /** A series stops after this many failing steps. Default 2. */
  readonly maxFailures?: number;
  readonly bargeInCalls?: number;
  /** Wall-time budget of the load steps, s (each series gets an even share of what is left). Default 600. */
  readonly budgetS?: number;
  /** Extra environment of the service in every step (knobs under test). */
  readonly serviceEnv?: Readonly<Record<string, string>>;
}

/** Rough wall time of one step: service start, ramp + warm-up, window, report, teardown. */
const stepSeconds = (calls: number, seconds: number): number =>
  8 + calls / 100 + Math.max(3, 1 + calls / 100) + seconds;

/** One load step of a series: the generator at `calls` concurrent calls against a freshly started service. */
export async function loadStep(
  spec: SeriesSpec,
  calls: number,
  seconds: number,
  service: { readonly env?: Readonly<Record<string, string>>; readonly root?: string } = {},
): Promise<{ result: LoadResult; row: StepRow; passed: boolean; reasons: readonly string[] }> {
  const result = await runLoad({
    calls,
    seconds,
    vad: spec.vad,
    rampS: calls / 100,
    phases: spec.phases,
    pinning: spec.pinning,
    ...(service.env ? { serviceEnv: service.env } : {}),
    ...(service.root ? { serviceRoot: service.root } : {}),
  });
  const verdict = judgeStep(result);
  return { result, row: stepRow(result, calls, verdict), passed: verdict.passed, reasons: verdict.reasons };
}

async function loadSeries(
  spec: SeriesSpec,
  steps: readonly number[],
  o: { seconds: number; budgetS: number; maxFailures: number; serviceEnv: Readonly<Record<string, string>> },
): Promise<{ done: CallsLoadStep[]; headline: CallsHeadline }> {
  const t0 = performance.now();
  const outcome = await searchSteps({
    steps,
    maxFailures: o.maxFailures,
    fits: (calls) => (performance.now() - t0) / 1000 + stepSeconds(calls, o.seconds) <= o.budgetS,
    run: (calls) => loadStep(spec, calls, o.seconds, { env: o.serviceEnv }),
    judge: (x) => ({ passed: x.passed, disturbed: x.result.disturbance !== undefined }),
  });
  const done: CallsLoadStep[] = outcome.done.map((s) => ({
    ...s.result.result,
    calls: { ...s.result.result.calls, target: s.calls },
    series: spec.id,
    passed: s.passed,
    failReasons: s.result.reasons,
    retry: s.retry,
    row: s.result.row,
  }));
  const h = searchHeadline(outcome.done);
  const at =
    done.filter((r) => r.passed && r.calls.target === h.maxCalls).at(-1) ?? done.find((r) => !r.retry) ?? done[0];
  const headline: CallsHeadline = {
    series: spec.id,
    label: spec.label,
    vad: spec.vad,
    phases: spec.phases,
    maxCalls: h.maxCalls,
    callsPerServiceCore: h.maxCalls,
    nonMonotonic: h.nonMonotonic,
    at: at?.calls.target,
    cpuMsPerCallSecond: at?.server?.cpuMsPerCallSecond,
    mbPerCall: at?.server?.rssMbPerCall,
    eventLoopP99Ms: at?.server?.eventLoopP99Ms,
    gcPctOfWindow: at?.server?.gc?.pctOfWindow,
    uplink: at?.latency.uplink,
    downlink: at?.latency.downlink,
    roundTrip: at?.latency.roundTrip,
    notRun: outcome.notRun,
    stopped: outcome.error ? `error: ${outcome.error}` : outcome.stopped,
  };
  return { done, headline };
}

async function bargeInRun(calls: number): Promise<BargeInRun> {
  const agentAudio = Buffer.from(generateTone({ rate: 16000, freq: 440, amplitude: 7000, ms: 10_000 }).buffer);
  const service = await startEchoService({ mode: 'burst', audio: agentAudio }, true);
  const { port } = service;
  pin(service.child.pid!, 1);
  pin(process.pid, 0);
  const onset = toMono(await readWavFile(ONSET_WAV));
  const clock = new MediaClock();
  clock.start();
  const dialers: SimulatedAudioSocketCall[] = [];
  try {
    for (let i = 0; i < calls; i++) {
      // The agent's burst starts when it is answered; caller audio starts with the call: give every call the same
      // head start by delaying the caller's speech source until the first agent frame arrives.
      dialers.push(
        await dialAudioSocket({
          host: '127.0.0.1',
          port,
          uuid: randomUUID(),
          clock,
          source: { type: 'samples', samples: onset },
        }),
      );
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 6000));
    const reactions: number[] = [];
    for (const d of dialers) {
      // Speech onset in the caller's audio is at 1.000 s: frame 50 of what the caller sent.
      const onsetFrame = d.sent.filter((f) => f.kind === 0x10)[50];
      const agentFrames = d.received.filter(
        (f) => f.kind === 0x10 && f.payload && goertzelPower(pcmSamples(f.payload), 8000, 440) > 1e5,
      );
      const lastAgent = agentFrames.at(-1);
      if (!onsetFrame || !lastAgent || lastAgent.at < onsetFrame.at) continue;
      // An uninterrupted burst would run to 10 s; only calls where the flush happened count.
      if (agentFrames.length >= 499) continue;
      reactions.push(lastAgent.at - onsetFrame.at);
    }
    const sorted = Float64Array.from(reactions).sort();
    return {
      calls,
      measured: sorted.length,
      reactionP50Ms: +percentile(sorted, 0.5).toFixed(1),
      reactionP99Ms: +percentile(sorted, 0.99).toFixed(1),
      reactionMaxMs: +(sorted.at(-1) ?? Number.NaN).toFixed(1),
    };
  } finally {
    await clock.close();
    await Promise.all(dialers.map((d) => d.hangup().catch(() => undefined)));
    await service.stop();
  }
}

export async function runCallsBench(options: CallsBenchOptions = {}): Promise<CallsBenchResult> {
  const steps = [...(options.calls ?? DEFAULT_STEPS)].sort((a, b) => a - b);
  const seconds = options.seconds ?? 10;
  const series = options.series ?? DEFAULT_SERIES.map((id) => SERIES[id]);
  const budgetS = options.budgetS ?? 600;
  const serviceEnv = options.serviceEnv ?? {};
  const loadAverageAtStart = loadavg().map((x) => +x.toFixed(2));
  const load: CallsLoadStep[] = [];
  const headline: CallsHeadline[] = [];
  const t0 = performance.now();
  for (const [i, spec] of series.entries()) {
    // Each series gets an even share of what is left, so time a short series leaves goes to the next.
    const leftS = budgetS - (performance.now() - t0) / 1000;
    const run = await loadSeries(spec, steps, {
      seconds,
      budgetS: leftS / (series.length - i),
      maxFailures: options.maxFailures ?? 2,
      serviceEnv,
    });
    load.push(...run.done);
    headline.push(run.headline);
  }
  const bargeIn = options.bargeInCalls === 0 ? undefined : await bargeInRun(options.bargeInCalls ?? 50);
  return { ...benchMachine(loadAverageAtStart), seconds, steps, series, serviceEnv, load, headline, bargeIn };
}

const pair = (l: LatencyStats | undefined): string => (l && l.count > 0 ? `${l.p50Ms} / ${l.p99Ms}` : '-');

export function formatCallsBench(r: CallsBenchResult): string {
  const env = Object.entries(r.serviceEnv);
  const lines = [
    `Full calls: dialplan-direct AudioSocket -> service (own process${r.pinned ? ', pinned to core 1' : ''}) -> native WS echo agent; load generator bench/loadgen.ts (callers in a child process, agent in the suite${r.pinned ? ', both on core 0' : ''}); ${r.seconds} s windows`,
    `node ${r.node}, ${r.cpuModel}, ${r.cores} cores, load average at start ${r.loadAverageAtStart.join(' ')}`,
    `steps ${r.steps.join(', ')} calls, a fresh service each; starts spread over calls/100 s, warm-up max(3, 1 + ramp) s, then the window; a series stops after two failing steps; service environment: ${env.length > 0 ? env.map(([k, v]) => `${k}=${v}`).join(' ') : 'defaults'}`,
    `gap rule: < ${MAX_GAPS_OVER_30_MS_PCT} % of downlink gaps > 30 ms, service event-loop delay p99 <= ${MAX_SERVICE_LOOP_P99_MS} ms, valid run (the generator kept up)`,
    '',
    'Headline: calls per service core (largest step meeting the gap rule); figures of that step (or of the first step when none passed)',
    '| series | calls per service core | at | service CPU ms/call-s | MB/call | loop p99 ms | GC % of window | uplink p50 / p99 ms | downlink p50 / p99 ms | round trip p50 / p99 ms | not run |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.headline.map(
      (h) =>
        `| ${h.series}: ${h.label} | ${h.maxCalls > 0 ? `${h.callsPerServiceCore}${h.nonMonotonic ? ' (a smaller step failed)' : ''}` : `< ${h.at ?? '-'}`} | ${h.at ?? '-'} | ${h.cpuMsPerCallSecond ?? '-'} | ${h.mbPerCall ?? '-'} | ${h.eventLoopP99Ms ?? '-'} | ${h.gcPctOfWindow ?? '-'} | ${pair(h.uplink)} | ${pair(h.downlink)} | ${pair(h.roundTrip)} | ${h.notRun.length > 0 ? `${h.notRun.join(', ')} (${h.stopped})` : '-'} |`,
    ),
    '',
    ...stepTableHeader(['series']),
    ...r.load.map((x) => stepTableLine(x.row, [`${x.series}${x.retry ? ' (retry)' : ''}`])),
  ];
  if (r.bargeIn) {
    const b = r.bargeIn;
    lines.push(
      '',
      `Barge-in (${b.calls} calls, VAD on, agent burst of 10 s, caller speech onset at 1.000 s; ${b.measured} calls measured):`,
      `speech onset leaving the caller -> last agent frame reaching the caller: p50 ${b.reactionP50Ms} ms, p99 ${b.reactionP99Ms} ms, max ${b.reactionMaxMs} ms`,
    );
  }
  return lines.join('\n');
}

const USAGE = `usage: npx tsx bench/suites/calls.ts [options]

Full-call benchmark: the service in its own process, a max-calls search per series; prints its tables.
  --steps LIST         call counts, comma-separated (default ${DEFAULT_STEPS.join(',')})
  --seconds S          measured window per step (default 10)
  --series LIST        series, comma-separated (default all: ${SERIES_IDS.join(', ')})
  --budget S           wall-time budget of the load steps (default 600)
  --barge-in N         calls of the barge-in run, 0 to skip (default 50)
  --service-env K=V    extra environment of the service in every step (repeatable)`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = scriptArgs('calls', USAGE, {
    steps: { type: 'string' },
    seconds: { type: 'string' },
    series: { type: 'string' },
    budget: { type: 'string' },
    'barge-in': { type: 'string' },
    'service-env': { type: 'string', multiple: true },
  });
  const result = await runCallsBench({
    ...(values.steps ? { calls: parseSteps(values.steps) } : {}),
    ...(values.seconds ? { seconds: parseSeconds(values.seconds, '--seconds') } : {}),
    ...(values.series ? { series: parseSeries(values.series) } : {}),
    ...(values.budget ? { budgetS: parseSeconds(values.budget, '--budget') } : {}),
    ...(values['barge-in'] ? { bargeInCalls: Number(values['barge-in']) } : {}),
    ...(values['service-env'] ? { serviceEnv: parseServiceEnv(values['service-env']) } : {}),
  });
  process.stdout.write(`${formatCallsBench(result)}\n`);
}
