/**
 * Tool-call round trip benchmark: an agent's function call → `tool-calls` job → signed HTTP POST to a tool on
 * loopback → `tool_calls` row → per-instance `tool-results` job → the call's `ToolResultSink`.
 *
 * One job layer runs in this process against the real Redis and MySQL (a scratch database and a random key prefix,
 * both removed afterwards). `calls` simulated live calls are owned by the instance; each issues its share of
 * `toolCalls` function calls one after another (an agent waits for a result before its next call), all calls at
 * once. The round trip of one tool call is measured from `toolCalls.submit()` to the sink receiving the result.
 *
 * `runToolRoundTripBench()` returns the figures; run this file directly to print them:
 * `npx tsx bench/suites/tools.ts [calls] [toolCalls] [pauseMs]` (defaults: 50 calls, 1000 tool calls, no pause:
 * a saturation test; a pause models agents talking between tool calls). Redis and MySQL are
 * taken from BENCH_REDIS_URL (default redis://127.0.0.1:6379) and BENCH_MYSQL_URL (default
 * mysql://root@127.0.0.1:3306, a scratch database is created on it).
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { type MachineInfo, machineInfo } from '../lib/stats.js';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { createDb } from '../../src/db/create-db.js';
import { migrateUp } from '../../src/db/migrator.js';
import { AppError } from '../../src/errors/app-error.js';
import type { CallController } from '../../src/jobs/call-controller.js';
import { createJobLayer } from '../../src/jobs/job-layer.js';
import type { ToolCallResult, ToolResultSink } from '../../src/jobs/tool-call-types.js';
import { startToolServer } from '../lib/http-tool.js';
import { summarizeLatencies } from '../lib/round-trips.js';
import { createScratchBackends, DEFAULT_BENCH_MYSQL_URL, DEFAULT_BENCH_REDIS_URL } from '../lib/job-backends.js';
import { helpIfAsked } from '../lib/script-args.js';

export interface ToolRoundTripBenchOptions {
  /** Simulated live calls, each making tool calls one after another. */
  calls: number;
  /** Tool calls measured in total, spread evenly over the calls. */
  toolCalls: number;
  /**
   * Mean pause of each simulated agent between receiving a result and its next tool call, ms (uniform over
   * 0.5–1.5 × this; calls start spread over one pause). 0 (default) keeps every call's next tool call in flight at
   * once: a saturation test. A pause models agents that talk between tool calls.
   */
  pauseMs?: number;
  /** Tool calls made before measuring (not counted). Default: min(100, toolCalls). */
  warmup?: number;
  redisUrl?: string;
  /** Server URL without a database; a scratch database is created on it. */
  mysqlUrl?: string;
}

export interface ToolRoundTripBenchResult extends MachineInfo {
  calls: number;
  pauseMs: number;
  toolCalls: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Completed tool calls per second over the measured window. */
  throughputPerSec: number;
  /** Tool calls that came back failed or timed out. */
  failures: number;
  /** Process CPU (user + system) per tool call over the window, ms (job layer, tool server and bench share it). */
  cpuMsPerToolCall: number;
  /** Event-loop delay of this process over the window: how long ready work waited for the CPU. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  wallSeconds: number;
  method: string;
}

const SILENT = pino({ level: 'silent' });

/** Resolves the waiter of each tool call when its result arrives. */
class TimingSink implements ToolResultSink {
  readonly #waiting = new Map<string, (r: ToolCallResult) => void>();

  wait(toolCallId: string): Promise<ToolCallResult> {
    return new Promise((resolve) => this.#waiting.set(toolCallId, resolve));
  }

  /** As the calls layer's sink: a waiting agent here takes its result without routing. */
  waitsFor(_callId: string, toolCallId: string): boolean {
    return this.#waiting.has(toolCallId);
  }

  async deliver(result: ToolCallResult): Promise<'delivered' | 'call_not_found'> {
    const w = this.#waiting.get(result.toolCallId);
    if (!w) return 'call_not_found';
    this.#waiting.delete(result.toolCallId);
    w(result);
    return 'delivered';
  }
}

const unusedController: CallController = new Proxy({} as CallController, {
  get: () => async () => {
    throw new AppError('no call control in the tool benchmark', { code: 'CALL_NOT_FOUND', category: 'not_found' });
  },
});

export async function runToolRoundTripBench(opts: ToolRoundTripBenchOptions): Promise<ToolRoundTripBenchResult> {
  const loadAverageAtStart = loadavg();
  const pauseMs = opts.pauseMs ?? 0;
  const scratch = await createScratchBackends({
    redisUrl: opts.redisUrl ?? DEFAULT_BENCH_REDIS_URL,
    mysqlUrl: opts.mysqlUrl ?? DEFAULT_BENCH_MYSQL_URL,
  });
  const { redisUrl, prefix } = scratch;
  const mysqlUrl = scratch.mysqlServerUrl;
  const db = createDb({ connection: { url: scratch.mysqlUrl }, poolSize: 10 });
  const tool = await startToolServer();
  const sink = new TimingSink();
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    await migrateUp(db);
    const layer = await createJobLayer({
      redis: redisUrl,
      prefix,
      instanceId: 'bench',
      db,
      controller: unusedController,
      toolResultSink: sink,
      tools: [{ name: 'lookup', url: tool.url, secret: 'bench-secret-0123456789' }],
      logger: SILENT,
    });
    cleanups.push(() => layer.close());
    await layer.ready();
    const callIds = Array.from({ length: opts.calls }, () => randomUUID());
    await Promise.all(callIds.map((id) => layer.ownership.claim(id)));

    const roundTrip = async (callId: string, n: number): Promise<{ ms: number; ok: boolean }> => {
      const toolCallId = `call_${n}`;
      const started = performance.now();
      const arrived = sink.wait(toolCallId);
      await layer.toolCalls.submit({ callId, toolCallId, name: 'lookup', arguments: { n } });
      const result = await arrived;
      return { ms: performance.now() - started, ok: result.status === 'succeeded' };
    };
    const drive = async (count: number, offset: number): Promise<{ ms: number; ok: boolean }[]> => {
      const perCall = callIds.map((_, i) => Math.floor(count / callIds.length) + (i < count % callIds.length ? 1 : 0));
      const samples: { ms: number; ok: boolean }[] = [];
      await Promise.all(
        callIds.map(async (callId, i) => {
          // Calls start spread over one pause and pause 0.5–1.5 × pauseMs, so they do not fire in lockstep.
          if (pauseMs > 0) await new Promise((r) => setTimeout(r, Math.random() * pauseMs));
          for (let k = 0; k < (perCall[i] ?? 0); k++) {
            samples.push(await roundTrip(callId, offset + i * 1_000_000 + k));
            if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs * (0.5 + Math.random())));
          }
        }),
      );
      return samples;
    };

    await drive(opts.warmup ?? Math.min(100, opts.toolCalls), 0);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const samples = await drive(opts.toolCalls, 500_000);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    const { p50Ms, p90Ms, p99Ms, maxMs, meanMs } = summarizeLatencies(samples.map((s) => s.ms));
    return {
      calls: opts.calls,
      pauseMs,
      toolCalls: samples.length,
      p50Ms,
      p90Ms,
      p99Ms,
      maxMs,
      meanMs,
      throughputPerSec: samples.length / (wallMs / 1000),
      failures: samples.filter((s) => !s.ok).length,
      cpuMsPerToolCall: (cpu.user + cpu.system) / 1000 / Math.max(1, samples.length),
      eventLoopDelayP99Ms: loop.percentile(99) / 1e6,
      eventLoopDelayMaxMs: loop.max / 1e6,
      wallSeconds: wallMs / 1000,
      ...machineInfo(loadAverageAtStart),
      method:
        `one job layer in this process (default tuning: 32 tool workers, 16 result workers), Redis ${redisUrl}, ` +
        `MySQL scratch database on ${mysqlUrl}; HTTP tool on loopback answering at once; ${opts.calls} live calls ` +
        `each making its tool calls one after another (pause between a result and the next call: ` +
        `${pauseMs ? `${pauseMs / 2}–${(pauseMs * 3) / 2} ms, starts spread over ${pauseMs} ms` : 'none'}), ` +
        'all calls concurrently; round trip = submit() to sink.',
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await tool.close();
    await db.destroy();
    await scratch.drop();
  }
}

export function formatToolRoundTripBench(r: ToolRoundTripBenchResult): string {
  const out: string[] = [];
  out.push(`Tool-call round trip benchmark — node ${r.node}, ${r.cores} × ${r.cpuModel}`);
  out.push(`load average at start: ${r.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}`);
  out.push(`method: ${r.method}`);
  out.push(
    `calls ${r.calls}, tool calls ${r.toolCalls} in ${r.wallSeconds.toFixed(1)} s ` +
      `(${r.throughputPerSec.toFixed(0)}/s), failures ${r.failures}`,
  );
  out.push(
    `round trip ms: p50 ${r.p50Ms.toFixed(2)}  p90 ${r.p90Ms.toFixed(2)}  p99 ${r.p99Ms.toFixed(2)}  ` +
      `max ${r.maxMs.toFixed(2)}  mean ${r.meanMs.toFixed(2)}`,
  );
  out.push(`process CPU per tool call: ${r.cpuMsPerToolCall.toFixed(2)} ms`);
  out.push(`event-loop delay: p99 ${r.eventLoopDelayP99Ms.toFixed(1)} ms, max ${r.eventLoopDelayMaxMs.toFixed(1)} ms`);
  return out.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  helpIfAsked(
    'usage: npx tsx bench/suites/tools.ts [calls=50] [toolCalls=1000] [pauseMs=0]\nTool-call round trips through the job layer (BENCH_MYSQL_URL, BENCH_REDIS_URL; default 127.0.0.1); prints its table.',
  );
  const calls = process.argv[2] === undefined ? 50 : Number(process.argv[2]);
  const toolCalls = process.argv[3] === undefined ? 1000 : Number(process.argv[3]);
  const pauseMs = process.argv[4] === undefined ? 0 : Number(process.argv[4]);
  runToolRoundTripBench({
    calls,
    toolCalls,
    pauseMs,
    ...(process.env.BENCH_REDIS_URL ? { redisUrl: process.env.BENCH_REDIS_URL } : {}),
    ...(process.env.BENCH_MYSQL_URL ? { mysqlUrl: process.env.BENCH_MYSQL_URL } : {}),
  }).then(
    (result) => {
      console.log(formatToolRoundTripBench(result));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
