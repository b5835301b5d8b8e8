/**
 * Tool-callback round trip with live calls: `calls` OpenAI Realtime calls go through the real service (its own
 * process, with its job layer on Redis and MySQL) to the Realtime simulator in this process, audio flowing both
 * ways, and each call's simulated model makes a function call every ~1 s (staggered). The service turns it into a
 * `tool-calls` job, the job layer POSTs to an HTTP tool on loopback (this process, answering at once), and the
 * result comes back to the call, which sends `function_call_output`.
 *
 * The round trip is timed at the simulator (the agent side): from sending the `response.done` that carries the
 * function call (the adapter sends the output only after it) to receiving `conversation.item.create` with the
 * `function_call_output`. Nothing is subtracted; the tool's own handling time is reported on its own.
 *
 * In the same run, with the same calls, a window without tool calls (the model speaks the same audio in the same
 * two responses) comes first, then a window with them: the callers' downlink frame gaps of both, side by side.
 *
 * `npx tsx bench/suites/tools-live.ts [calls] [seconds] [periodMs]` (defaults 100 calls, 15 s per window, a tool
 * call per call every 1000 ms). MySQL: a scratch
 * database on BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306), dropped afterwards; Redis: BENCH_REDIS_URL
 * (default redis://127.0.0.1:6379) under a random JOBS_PREFIX whose keys are deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MediaClock } from '../../src/audio/media-clock.js';
import type { SimRealtimeSession } from '../../src/simulator/realtime/realtime-sim-session.js';
import { startRealtimeSimulator } from '../../src/simulator/realtime/realtime-simulator.js';
import type { ResponsePlan } from '../../src/simulator/realtime/sim-response.js';
import { nextMessage } from '../lib/child-messages.js';
import { startToolServer, type ToolRequestTimes } from '../lib/http-tool.js';
import { createScratchBackends } from '../lib/job-backends.js';
import {
  audioKindOf,
  audioTotals,
  dialSilentCallers,
  type RealtimeBenchFormat,
  realtimeBenchRoute,
  type SilentCallers,
  writeRoutesFile,
} from '../lib/realtime-callers.js';
import { type LatencySummary, RoundTripLog, summarizeLatencies } from '../lib/round-trips.js';
import { type BenchMachine, benchMachine, CAN_PIN, pin, startService, stopService } from '../lib/service-process.js';
import { coreBusyMs, type GapStats, gapStats, processCpuMs, startLoopDelay } from '../lib/stats.js';
import { helpIfAsked } from '../lib/script-args.js';

export interface ToolsLiveBenchOptions {
  /** Live calls. Default 100. */
  readonly calls?: number;
  /** Measured seconds of each window (without, then with tool calls). Default 15. */
  readonly seconds?: number;
  /** Seconds of load before the first window (and 2 s of tool calls before the second). Default 3. */
  readonly warmupSeconds?: number;
  /** Each call's model asks for a tool this often, ms. Default 1000. */
  readonly periodMs?: number;
  readonly format?: RealtimeBenchFormat;
  readonly redisUrl?: string;
  /** A server URL without a database; a scratch database is created on it. */
  readonly mysqlUrl?: string;
}

export interface ToolsLiveWindow {
  readonly toolCalls: boolean;
  readonly seconds: number;
  /** Calls the service had at the window's end. */
  readonly liveCalls: number;
  readonly downlinkGaps: GapStats;
  /** Frames the callers received / frames a perfect 50 fps would give. */
  readonly downlinkFrameRatio: number;
  readonly appendsPerCallSecond: number;
  readonly deltasPerCallSecond: number;
  readonly serviceCpuPctOfCore: number;
  /** Busy time of the service's core (1) not spent by the service, % (MySQL, Redis, anything else); NaN unpinned. */
  readonly otherLoadOnServiceCorePct: number;
  readonly serviceLoopP99Ms: number;
  readonly generatorLoopP99Ms: number;
  /** Model turns (a tick of the ~1 s schedule) that were skipped because the previous one was not over. */
  readonly skippedTurns: number;
  readonly valid: boolean;
}

export interface ToolsLiveBenchResult extends BenchMachine {
  readonly method: string;
  readonly calls: number;
  /** Round trips of the tool window (sent in it), agent side. */
  readonly roundTrip: LatencySummary;
  readonly toolCalls: number;
  /** Timed out (no output within 10 s), or an output that is not the tool's answer; sent in the tool window. */
  readonly failures: number;
  readonly firstFailure: string | undefined;
  /** `error` events the simulator sent during the run (e.g. a refused function_call_output). */
  readonly simulatorErrors: number;
  /** The HTTP tool's own handling time over the tool window (request parsed → response ended). */
  readonly toolHandling: LatencySummary;
  /** The round trip's legs: response.done sent → the tool's request arrived; the tool answered → output received. */
  readonly toTool: LatencySummary;
  readonly fromTool: LatencySummary;
  /** The service's own account of its tool runs over the whole run: mean ms per phase (see ava_tool_call_phase_seconds). */
  readonly servicePhases: ToolPhaseMeans;
  readonly windows: readonly [ToolsLiveWindow, ToolsLiveWindow];
  readonly wallSeconds: number;
  readonly valid: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TOOL = 'lookup_order';
const OUTPUT_TIMEOUT_MS = 10_000;
/** Both windows: 400 ms of speech with the request, then 400 ms with the answer (at 4x real time, 100 ms deltas). */
const ASK: ResponsePlan = { audioMs: 400, transcript: 'One moment, let me look that up.' };
const ANSWER: ResponsePlan = { audioMs: 400, transcript: 'Your order has shipped.' };

/** Mean ms of each phase of the service's tool runs, and how many runs (from the service's metrics). */
export type ToolPhaseMeans = Record<string, { count: number; meanMs: number }>;

interface ServiceStats {
  type: 'stats';
  calls: number;
  eventLoopP99Ms: number;
  toolPhases: ToolPhaseMeans;
}

/**
 * Drives each session's model: every `periodMs` (first at a random offset) it speaks ASK; with tool calls on, ASK
 * carries a function call and the adapter's `response.create` after the output gets ANSWER (the simulator's
 * script); without, the driver starts ANSWER itself once ASK is done.
 */
class ModelDriver {
  toolCalls = false;
  skippedTurns = 0;
  simulatorErrors = 0;
  /** Why each failed round trip failed. */
  readonly failureReasons = new Map<string, string>();
  readonly sessions: SimRealtimeSession[] = [];
  readonly log = new RoundTripLog();
  readonly #timers = new Set<NodeJS.Timeout>();
  #n = 0;

  constructor(private readonly periodMs: number) {}

  attach(s: SimRealtimeSession): void {
    this.sessions.push(s);
    let ask: { responseId: string; callId: string | undefined } | undefined;
    const send = s.send.bind(s);
    // Sees every event the session sends: the ASK's response.done starts the clock (or, without tools, ANSWER).
    s.send = (event) => {
      send(event);
      if (event.type === 'error') this.simulatorErrors += 1;
      if (event.type !== 'response.done' || !ask) return;
      if ((event.response as { id?: string } | undefined)?.id !== ask.responseId) return;
      const { callId } = ask;
      if (callId === undefined) {
        ask = undefined;
        setImmediate(() => s.respond(ANSWER));
        return;
      }
      this.log.sent(callId, performance.now());
      s.waitFor(
        () => {
          const out = s.functionOutputs.find((o) => o.callId === callId);
          return out ? { at: performance.now(), output: out.output } : undefined;
        },
        `function_call_output ${callId}`,
        OUTPUT_TIMEOUT_MS,
      ).then(
        ({ at, output }) => {
          const ok = isToolAnswer(output);
          if (!ok) this.failureReasons.set(callId, `output ${output.slice(0, 200)}`);
          this.log.settled(callId, at, ok);
          ask = undefined;
        },
        (err: Error) => {
          this.failureReasons.set(callId, err.message);
          this.log.settled(callId, performance.now(), false);
          ask = undefined;
        },
      );
    };
    const turn = (): void => {
      if (s.closed) return;
      if (ask || s.activeResponse) {
        this.skippedTurns += 1;
        return;
      }
      const callId = this.toolCalls ? `call_bench_${++this.#n}` : undefined;
      const plan: ResponsePlan =
        callId === undefined ? ASK : { ...ASK, functionCalls: [{ name: TOOL, arguments: { order: this.#n }, callId }] };
      const r = s.respond(plan);
      if (r) ask = { responseId: r.id, callId };
    };
    const first = setTimeout(() => {
      this.#timers.delete(first);
      turn();
      const every = setInterval(() => (s.closed ? clearInterval(every) : turn()), this.periodMs);
      this.#timers.add(every);
    }, Math.random() * this.periodMs);
    this.#timers.add(first);
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}

function isToolAnswer(output: string): boolean {
  try {
    return (JSON.parse(output) as { ok?: unknown }).ok === true;
  } catch {
    return false;
  }
}

async function serviceStats(child: Parameters<typeof nextMessage>[0], reset: boolean): Promise<ServiceStats> {
  const reply = nextMessage<ServiceStats, 'stats'>(child, 'stats', 5000);
  // With a callback a closed channel fails `reply` (on the exit) instead of raising an 'error' event.
  child.send({ type: 'stats', reset }, (err) => {
    if (err) child.kill();
  });
  return reply;
}

/** Runs one measured window of `seconds`. */
async function measureWindow(
  ctx: { child: Parameters<typeof nextMessage>[0]; callers: SilentCallers; driver: ModelDriver; calls: number },
  seconds: number,
): Promise<ToolsLiveWindow & { from: number; to: number }> {
  const { child, callers, driver, calls } = ctx;
  await serviceStats(child, true);
  const before = audioTotals(driver.sessions);
  const skipped0 = driver.skippedTurns;
  const loop = startLoopDelay();
  const pid = child.pid!;
  const cpu0 = await processCpuMs(pid);
  const core0 = CAN_PIN ? await coreBusyMs(1) : undefined;
  const from = performance.now();
  callers.startWindow();
  await sleep(seconds * 1000);
  const { gaps, frames } = callers.endWindow();
  const to = performance.now();
  const cpu1 = await processCpuMs(pid);
  const core1 = core0 === undefined ? undefined : await coreBusyMs(1);
  const generator = loop.read();
  loop.stop();
  const after = audioTotals(driver.sessions);
  const service = await serviceStats(child, false);
  const elapsed = (to - from) / 1000;
  const callSeconds = calls * elapsed;
  const cpuMs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : Number.NaN;
  return {
    from,
    to,
    toolCalls: driver.toolCalls,
    seconds: +elapsed.toFixed(2),
    liveCalls: service.calls,
    downlinkGaps: gapStats(gaps),
    downlinkFrameRatio: +(frames / (callSeconds * 50)).toFixed(4),
    appendsPerCallSecond: +((after.appends - before.appends) / callSeconds).toFixed(2),
    deltasPerCallSecond: +((after.deltas - before.deltas) / callSeconds).toFixed(2),
    serviceCpuPctOfCore: +((100 * cpuMs) / (elapsed * 1000)).toFixed(1),
    otherLoadOnServiceCorePct:
      core0 !== undefined && core1 !== undefined
        ? +((100 * (core1 - core0 - cpuMs)) / (elapsed * 1000)).toFixed(1)
        : Number.NaN,
    serviceLoopP99Ms: +service.eventLoopP99Ms.toFixed(2),
    generatorLoopP99Ms: +generator.p99Ms.toFixed(2),
    skippedTurns: driver.skippedTurns - skipped0,
    valid: generator.p99Ms <= 10,
  };
}

export async function runToolsLiveBench(options: ToolsLiveBenchOptions = {}): Promise<ToolsLiveBenchResult> {
  const calls = options.calls ?? 100;
  const seconds = options.seconds ?? 15;
  const warmup = options.warmupSeconds ?? 3;
  const periodMs = options.periodMs ?? 1000;
  const format = options.format ?? 'pcmu';
  const started = performance.now();
  const loadAverageAtStart = loadavg().map((x) => +x.toFixed(2));
  const scratch = await createScratchBackends({ redisUrl: options.redisUrl, mysqlUrl: options.mysqlUrl });
  const driver = new ModelDriver(periodMs);
  const toolTimes = new Map<unknown, ToolRequestTimes>();
  const tool = await startToolServer({ onAnswered: (t) => toolTimes.set(t.toolCallId, t) });
  const clock = new MediaClock();
  let sim: Awaited<ReturnType<typeof startRealtimeSimulator>> | undefined;
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  let callers: SilentCallers | undefined;
  let routesFile: string | undefined;
  try {
    sim = await startRealtimeSimulator({
      record: false,
      speed: 4,
      deltaMs: 100,
      // What the model says after a tool output (the adapter's response.create).
      script: () => ANSWER,
      onSession: (s) => driver.attach(s),
    });
    const uuids = Array.from({ length: calls }, () => randomUUID());
    routesFile = await writeRoutesFile(
      [
        realtimeBenchRoute({
          name: 'bench-tools-live',
          uuids,
          format,
          url: sim.url,
          route: {
            tools: [
              {
                name: TOOL,
                description: 'Find an order by number.',
                parameters: { type: 'object', properties: { order: { type: 'number' } } },
                url: tool.url,
                secretEnv: 'BENCH_TOOL_SECRET',
              },
            ],
          },
        }),
      ],
      'tools-live',
    );
    service = await startService({
      AUDIOSOCKET_HOST: '127.0.0.1',
      AUDIOSOCKET_PORT: '0',
      HTTP_PORT: '0',
      ROUTES_FILE: routesFile,
      VAD: 'off',
      MYSQL_URL: scratch.mysqlUrl,
      REDIS_URL: scratch.redisUrl,
      JOBS_PREFIX: scratch.prefix,
      BENCH_TOOL_SECRET: 'bench-tool-secret-0123456789',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    });
    const { child, port } = service;
    pin(child.pid!, 1);
    pin(process.pid, 0);
    clock.start();
    callers = await dialSilentCallers({ port, uuids, kind: audioKindOf(format), clock });
    const ctx = { child, callers, driver, calls };
    await sleep(warmup * 1000);
    const without = await measureWindow(ctx, seconds);
    driver.toolCalls = true;
    await sleep(2000);
    const handled0 = tool.handlingMs.length;
    const withTools = await measureWindow(ctx, seconds);
    // Round trips sent in the window may still be under way: wait for them (they time out after 10 s).
    const deadline = performance.now() + OUTPUT_TIMEOUT_MS + 1000;
    while (driver.log.pendingIn(withTools.from, withTools.to) > 0 && performance.now() < deadline) await sleep(50);
    const trips = driver.log.window(withTools.from, withTools.to);
    const toolHandling = summarizeLatencies(tool.handlingMs.slice(handled0));
    const toTool: number[] = [];
    const fromTool: number[] = [];
    let firstFailure: string | undefined;
    for (const r of driver.log.settledIn(withTools.from, withTools.to)) {
      if (!r.ok) firstFailure ??= driver.failureReasons.get(r.id);
      const t = toolTimes.get(r.id);
      if (!t || r.ms === undefined) continue;
      toTool.push(t.arrivedAt - r.sentAt);
      fromTool.push(r.sentAt + r.ms - t.answeredAt);
    }
    const servicePhases = (await serviceStats(child, false)).toolPhases;
    const windows = [without, withTools].map(({ from: _f, to: _t, ...w }) => w) as [ToolsLiveWindow, ToolsLiveWindow];
    return {
      ...benchMachine(loadAverageAtStart),
      method:
        `service (ava, own process, VAD off, job layer on Redis ${scratch.redisUrl} prefix ${scratch.prefix} and a ` +
        `scratch MySQL database, default tuning) <- ${calls} dialplan-direct AudioSocket callers sending silence at ` +
        `20 ms (this process) -> Realtime simulator (this process, ${format}, turn detection off, 4x real time, ` +
        `100 ms deltas). Every ${periodMs} ms per call (staggered at random) the model says 400 ms of audio and, ` +
        `in the tool window, calls ${TOOL}; the adapter's job goes to an HTTP tool on loopback (this process) that ` +
        `answers at once; after the output the model says 400 ms more (without tools: the same two responses, the ` +
        `second started by the simulator). Round trip, at the simulator: response.done carrying the function call ` +
        `sent -> conversation.item.create function_call_output received; nothing subtracted. Same service and calls ` +
        `for both windows: ${warmup} s warm-up, ${seconds} s without tool calls, 2 s of tool calls, ${seconds} s ` +
        `with; frame gaps at the callers; service CPU from /proc, service event-loop p99 from the service itself; ` +
        `a window is invalid when this process's event-loop delay p99 exceeds 10 ms.`,
      calls,
      roundTrip: trips.summary,
      toolCalls: trips.sent,
      failures: trips.failures + trips.pending,
      firstFailure,
      simulatorErrors: driver.simulatorErrors,
      toolHandling,
      toTool: summarizeLatencies(toTool),
      fromTool: summarizeLatencies(fromTool),
      servicePhases,
      windows,
      wallSeconds: +((performance.now() - started) / 1000).toFixed(1),
      valid: windows.every((w) => w.valid),
    };
  } finally {
    driver.stop();
    await clock.close();
    await callers?.hangup();
    if (service) await stopService(service.child);
    await sim?.close();
    await tool.close();
    await scratch.drop();
    if (routesFile) await rm(dirname(routesFile), { recursive: true, force: true });
  }
}

const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

export function formatToolsLiveBench(r: ToolsLiveBenchResult): string {
  const t = r.roundTrip;
  const h = r.toolHandling;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  return [
    `Tool-callback round trip with ${r.calls} live Realtime calls: AudioSocket -> service (own process${r.pinned ? ', pinned to core 1; callers, simulator and HTTP tool on core 0' : ''}) -> Realtime simulator; function call -> job (Redis, MySQL) -> HTTP tool on loopback -> function_call_output`,
    `node ${r.node}, ${r.cpuModel}, ${r.cores} cores, load average at start ${r.loadAverageAtStart.join(' ')}`,
    `method: ${r.method}`,
    `tool calls ${r.toolCalls}, failures ${r.failures}${r.firstFailure ? ` (first: ${r.firstFailure})` : ''}, simulator errors ${r.simulatorErrors}`,
    `round trip ms (agent side): p50 ${f2(t.p50Ms)}  p90 ${f2(t.p90Ms)}  p99 ${f2(t.p99Ms)}  max ${f2(t.maxMs)}  mean ${f2(t.meanMs)}` +
      `  — target p50 <= 10: ${verdict(t.p50Ms <= 10)}, p99 <= 50: ${verdict(t.p99Ms <= 50)}`,
    `HTTP tool's own handling ms (${h.count} requests): p50 ${f2(h.p50Ms)}  p99 ${f2(h.p99Ms)}  max ${f2(h.maxMs)}`,
    `legs ms: response.done -> request at the tool p50 ${f2(r.toTool.p50Ms)} p99 ${f2(r.toTool.p99Ms)}; ` +
      `tool answered -> output at the simulator p50 ${f2(r.fromTool.p50Ms)} p99 ${f2(r.fromTool.p99Ms)}`,
    `service's tool runs, mean ms per phase (${r.servicePhases.tool?.count ?? 0} runs, from its metrics): ` +
      ['queued', 'claim', 'tool', 'hand_over', 'finish']
        .map((p) => `${p} ${f2(r.servicePhases[p]?.meanMs ?? Number.NaN)}`)
        .join(', '),
    '| window | live calls | gap p50 ms | gap p99 ms | gaps > 30 ms | frames delivered | appends/call-s | deltas/call-s | service % of a core | other load on its core % | service loop p99 ms | skipped turns | valid |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.windows.map(
      (w) =>
        `| ${w.toolCalls ? 'with tool calls' : 'without tool calls'} | ${w.liveCalls} | ${f1(w.downlinkGaps.p50Ms)} | ${f1(w.downlinkGaps.p99Ms)} | ${f2(w.downlinkGaps.pctOver30Ms)} % | ${(100 * w.downlinkFrameRatio).toFixed(1)} % | ${w.appendsPerCallSecond} | ${w.deltasPerCallSecond} | ${w.serviceCpuPctOfCore} | ${f1(w.otherLoadOnServiceCorePct)} | ${f1(w.serviceLoopP99Ms)} | ${w.skippedTurns} | ${w.valid ? 'yes' : `no (generator loop p99 ${w.generatorLoopP99Ms} ms)`} |`,
    ),
    `wall time ${r.wallSeconds} s${r.valid ? '' : ' — INVALID: the load generator was too late'}`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  helpIfAsked(
    'usage: npx tsx bench/suites/tools-live.ts [calls=100] [seconds=15] [periodMs=1000]\nTool calls during live Realtime calls (MySQL and Redis on 127.0.0.1); prints its table.',
  );
  const calls = Number(process.argv[2] ?? 100);
  const seconds = Number(process.argv[3] ?? 15);
  const periodMs = Number(process.argv[4] ?? 1000);
  process.stdout.write(`npx tsx bench/suites/tools-live.ts ${calls} ${seconds} ${periodMs}\n`);
  runToolsLiveBench({ calls, seconds, periodMs }).then(
    (result) => {
      process.stdout.write(`${formatToolsLiveBench(result)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
