/**
 * Full-call benchmark: the service in its own process (pinned to core 1), dialplan-direct AudioSocket calls from the
 * load generator (bench/loadgen.ts: callers in a child process, echo agent here, both on core 0).
 *
 * Per VAD setting, a series of steps (50, 100, 200, 300, 400 calls by default) stops at the first step that fails
 * (≥ 0.5 % of downlink gaps over 30 ms, or an invalid run; a failure while other processes used the service's core
 * is retried once); the headline is the largest passing step. A time budget
 * keeps the suite within its share of `npm run bench`: steps that would not fit are reported as not run.
 * The barge-in run follows: the agent sends a 10 s burst, each caller starts speaking 1.000 s in.
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
import { percentile } from '../lib/stats.js';
import { type BenchMachine, benchMachine, pin } from '../lib/service-process.js';
import { runLoad } from '../loadgen/run-load.js';
import type { LatencyStats, LoadResult } from '../loadgen/types.js';
import { helpIfAsked } from '../lib/script-args.js';

const ONSET_WAV = fileURLToPath(new URL('../../test/fixtures/speech/onset-8k.wav', import.meta.url));

/** Largest share of downlink gaps over 30 ms a passing step may have, percent. */
export const MAX_GAPS_OVER_30_MS_PCT = 0.5;

export interface CallsLoadStep extends LoadResult {
  readonly calls: LoadResult['calls'] & { readonly target: number };
  readonly passed: boolean;
}

/** The headline of one VAD setting: the largest passing step, and the figures of that step. */
export interface CallsHeadline {
  readonly vad: boolean;
  /** Largest step with < 0.5 % gaps over 30 ms in a valid run; 0 when none passed. */
  readonly maxCalls: number;
  /** The step the figures come from: the largest passing one, else the first measured. */
  readonly at: number | undefined;
  readonly cpuMsPerCallSecond: number | undefined;
  readonly mbPerCall: number | undefined;
  readonly uplink: LatencyStats | undefined;
  readonly downlink: LatencyStats | undefined;
  readonly roundTrip: LatencyStats | undefined;
  /** Steps skipped for the time budget. */
  readonly notRun: readonly number[];
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
  readonly load: CallsLoadStep[];
  readonly headline: CallsHeadline[];
  readonly bargeIn: BargeInRun | undefined;
}

export interface CallsBenchOptions {
  /** Steps of concurrent calls, ascending. Default 50, 100, 200, 300, 400. */
  readonly calls?: readonly number[];
  /** Measured window per step, s. Default 12. */
  readonly seconds?: number;
  readonly vad?: readonly boolean[];
  readonly bargeInCalls?: number;
  /** Wall-time budget of the load steps, s (each VAD setting gets an even share of what is left). Default 135. */
  readonly budgetS?: number;
}

/** Rough wall time of one step: service start, ramp + warm-up, window, teardown. */
const stepSeconds = (calls: number, seconds: number): number => 6 + Math.max(3, 1 + calls / 100) + seconds;

async function loadStep(calls: number, seconds: number, vad: boolean): Promise<CallsLoadStep> {
  const r = await runLoad({ calls, seconds, vad, rampS: calls / 100 });
  const passed = r.valid && r.downlink.gaps.pctOver30Ms < MAX_GAPS_OVER_30_MS_PCT;
  return { ...r, calls: { ...r.calls, target: calls }, passed };
}

async function loadSeries(vad: boolean, steps: readonly number[], seconds: number, budgetS: number) {
  const done: CallsLoadStep[] = [];
  const notRun: number[] = [];
  const t0 = performance.now();
  const fits = (calls: number): boolean => (performance.now() - t0) / 1000 + stepSeconds(calls, seconds) <= budgetS;
  for (const [i, calls] of steps.entries()) {
    if (!fits(calls)) {
      notRun.push(...steps.slice(i));
      break;
    }
    let step = await loadStep(calls, seconds, vad);
    // A step that failed while other processes used the service's core gets one more try.
    if (!step.passed && step.disturbance && fits(calls)) {
      done.push(step);
      step = await loadStep(calls, seconds, vad);
    }
    done.push(step);
    if (!step.passed) break;
  }
  const best = done.filter((r) => r.passed).at(-1);
  const at = best ?? done[0];
  const headline: CallsHeadline = {
    vad,
    maxCalls: best?.calls.target ?? 0,
    at: at?.calls.target,
    cpuMsPerCallSecond: at?.server?.cpuMsPerCallSecond,
    mbPerCall: at?.server?.rssMbPerCall,
    uplink: at?.latency.uplink,
    downlink: at?.latency.downlink,
    roundTrip: at?.latency.roundTrip,
    notRun,
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
  const steps = options.calls ?? [50, 100, 200, 300, 400];
  const seconds = options.seconds ?? 12;
  const vads = options.vad ?? [false, true];
  const budgetS = options.budgetS ?? 135;
  const loadAverageAtStart = loadavg().map((x) => +x.toFixed(2));
  const load: CallsLoadStep[] = [];
  const headline: CallsHeadline[] = [];
  const t0 = performance.now();
  for (const [i, vad] of vads.entries()) {
    // Each series gets an even share of what is left, so time a short series leaves goes to the next.
    const leftS = budgetS - (performance.now() - t0) / 1000;
    const series = await loadSeries(vad, steps, seconds, leftS / (vads.length - i));
    load.push(...series.done);
    headline.push(series.headline);
  }
  const bargeIn = options.bargeInCalls === 0 ? undefined : await bargeInRun(options.bargeInCalls ?? 50);
  return {
    ...benchMachine(loadAverageAtStart),
    seconds,
    load,
    headline,
    bargeIn,
  };
}

const pair = (l: LatencyStats | undefined): string => (l && l.count > 0 ? `${l.p50Ms} / ${l.p99Ms}` : '-');

export function formatCallsBench(r: CallsBenchResult): string {
  const lines = [
    `Full calls: dialplan-direct AudioSocket -> service (own process${r.pinned ? ', pinned to core 1' : ''}) -> native WS echo agent; load generator bench/loadgen.ts (callers in a child process, agent in the suite${r.pinned ? ', both on core 0' : ''}); ${r.seconds} s windows`,
    `node ${r.node}, ${r.cpuModel}, ${r.cores} cores, load average at start ${r.loadAverageAtStart.join(' ')}`,
    '',
    `Headline: max concurrent calls with < ${MAX_GAPS_OVER_30_MS_PCT} % of downlink gaps > 30 ms (valid runs only); figures of that step (or of the first step when none passed)`,
    '| VAD | max calls | at | service CPU ms/call-s | MB/call | uplink p50 / p99 ms | downlink p50 / p99 ms | round trip p50 / p99 ms | not run (time budget) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.headline.map(
      (h) =>
        `| ${h.vad ? 'on' : 'off'} | ${h.maxCalls > 0 ? h.maxCalls : `< ${h.at ?? '-'}`} | ${h.at ?? '-'} | ${h.cpuMsPerCallSecond ?? '-'} | ${h.mbPerCall ?? '-'} | ${pair(h.uplink)} | ${pair(h.downlink)} | ${pair(h.roundTrip)} | ${h.notRun.length > 0 ? h.notRun.join(', ') : '-'} |`,
    ),
    '',
    '| calls | VAD | service CPU ms/call-s | % of a core | RSS MB | MB/call | service loop p99 ms | gap p50 / p99 ms | gaps > 30 ms | lost | dup | uplink p50 / p99 | downlink p50 / p99 | generator loop p99 ms (agent) | late ticks | valid | passed |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.load.map((x) => {
      const s = x.server;
      const g = x.downlink.gaps;
      return `| ${x.calls.target} | ${x.vad ? 'on' : 'off'} | ${s?.cpuMsPerCallSecond ?? '-'} | ${s?.cpuPctOfCore ?? '-'} | ${s?.rssMb ?? '-'} | ${s?.rssMbPerCall ?? '-'} | ${s?.eventLoopP99Ms ?? '-'} | ${g.p50Ms.toFixed(1)} / ${g.p99Ms.toFixed(1)} | ${g.pctOver30Ms.toFixed(2)} % | ${x.downlink.lostPct} % | ${x.downlink.duplicateFrames} | ${pair(x.latency.uplink)} | ${pair(x.latency.downlink)} | ${x.generator.loopDelayP99Ms} (${x.generator.agentLoopDelayP99Ms ?? '-'}) | ${x.generator.lateTicksPct} % | ${x.valid ? 'yes' : `no: ${x.invalidReasons.join('; ')}`}${x.disturbance ? ` (disturbed: ${x.disturbance})` : ''} | ${x.passed ? 'yes' : 'no'} |`;
    }),
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  helpIfAsked(
    'usage: npx tsx bench/suites/calls.ts [seconds=12] [calls=50,100,200,300,400]\nFull-call benchmark: the service in its own process, max calls per VAD setting; prints its table.',
  );
  const seconds = Number(process.argv[2] ?? 12);
  const calls = (process.argv[3] ?? '50,100,200,300,400').split(',').map(Number);
  const result = await runCallsBench({ seconds, calls });
  process.stdout.write(`${formatCallsBench(result)}\n`);
}
