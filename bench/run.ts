/**
 * `npm run bench`: the standard benchmark suite. Runs each suite in turn and prints its table. By default the figures
 * go to `out/bench/<date>.json` and `.md` (git-ignored). `--record` (standard run only: no --quick, no --only) writes
 * them to the tracked `bench/results/` instead and refreshes `docs/benchmarks.md` (method + the latest tables,
 * generated — never typed by hand). `npm run bench -- --help` prints the options.
 *
 * Suites that need MySQL/Redis use 127.0.0.1 (BENCH_MYSQL_URL, BENCH_REDIS_URL override).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from './lib/script-args.js';
import { formatAmdBench, runAmdBench } from './suites/amd.js';
import { formatAudioSocketBench, runAudioSocketBench } from './suites/audiosocket.js';
import { parseSeconds, parseSeries, parseSteps } from './lib/load-series.js';
import { parseServiceEnv } from './lib/service-process.js';
import { type CallsBenchOptions, formatCallsBench, runCallsBench } from './suites/calls.js';
import { formatChanWebSocketBench, runChanWebSocketBench } from './suites/chan-websocket.js';
import {
  formatMediaWorkersBench,
  type MediaWorkersOptions,
  parseWorkerCounts,
  runMediaWorkersBench,
} from './suites/media-workers.js';
import { formatRealtimeBench, runRealtimeBench } from './suites/realtime.js';
import { formatResamplerBench, runResamplerBench } from './suites/resampler.js';
import { formatRtpBench, runRtpBench } from './suites/rtp.js';
import { formatToolRoundTripBench, runToolRoundTripBench } from './suites/tools.js';
import { formatToolsLiveBench, runToolsLiveBench } from './suites/tools-live.js';
import { formatVadBench, runVadBench } from './suites/vad.js';
import { formatWebRtcBench, runWebRtcBench } from './suites/webrtc.js';

/** Options of the command line for the suites that take them (the calls suite's max-calls search). */
interface SuiteTuning {
  readonly calls: CallsBenchOptions;
  readonly mediaWorkers: MediaWorkersOptions;
}

interface Suite {
  name: string;
  run: (quick: boolean, tuning: SuiteTuning) => Promise<{ result: unknown; text: string }>;
}

const SUITES: Suite[] = [
  {
    name: 'resampler',
    run: async (quick) => {
      const result = await runResamplerBench(quick ? { seconds: 1, telephonyOnly: true } : {});
      return { result, text: formatResamplerBench(result) };
    },
  },
  {
    name: 'audiosocket',
    run: async (quick) => {
      const result = await runAudioSocketBench({ calls: quick ? [50] : [100, 300], seconds: quick ? 5 : 20 });
      return { result, text: formatAudioSocketBench(result) };
    },
  },
  {
    name: 'calls',
    run: async (quick, tuning) => {
      // Max-calls search per series (stops after two failing steps; steps beyond the budget are not run).
      const result = await runCallsBench({
        ...(quick
          ? {
              calls: [50],
              seconds: 5,
              series: parseSeries('vad-off,vad-on,vad-off-aligned'),
              bargeInCalls: 20,
              budgetS: 90,
            }
          : { bargeInCalls: 50 }),
        ...tuning.calls,
      });
      return { result, text: formatCallsBench(result) };
    },
  },
  {
    name: 'media-workers',
    run: async (quick, tuning) => {
      // The max-calls search with MEDIA_WORKERS=0, 1, 2 (up to about 12 minutes; the quick run about 2).
      const result = await runMediaWorkersBench({
        ...(quick ? { steps: [25, 50], seconds: 4, budgetS: 150 } : {}),
        ...tuning.mediaWorkers,
      });
      return { result, text: formatMediaWorkersBench(result) };
    },
  },
  {
    name: 'chan-websocket',
    run: async (quick) => {
      const result = await runChanWebSocketBench(quick ? { calls: 50, seconds: 5 } : { calls: 200, seconds: 10 });
      return { result, text: formatChanWebSocketBench(result) };
    },
  },
  {
    name: 'rtp',
    run: async (quick) => {
      const result = await runRtpBench(quick ? { calls: 50, seconds: 5 } : { calls: 200, seconds: 10 });
      return { result, text: formatRtpBench(result) };
    },
  },
  {
    name: 'realtime',
    run: async (quick) => {
      const result = await runRealtimeBench(quick ? { calls: [50], seconds: 5 } : { calls: [100, 200], seconds: 15 });
      return { result, text: formatRealtimeBench(result) };
    },
  },
  {
    name: 'webrtc',
    run: async (quick) => {
      const calls = quick ? [20] : [50, 100];
      const seconds = quick ? 5 : 10;
      const pcmu = await runWebRtcBench({ calls, codec: 'PCMU', seconds });
      const opus = await runWebRtcBench({ calls, codec: 'opus', seconds });
      return { result: { pcmu, opus }, text: `${formatWebRtcBench(pcmu)}\n\n${formatWebRtcBench(opus)}` };
    },
  },
  {
    name: 'vad',
    run: async (quick) => {
      const opts = quick ? { seconds: 3, streams: [100] } : {};
      const result = await runVadBench(opts);
      return { result, text: formatVadBench(result, opts) };
    },
  },
  {
    name: 'amd',
    run: async () => {
      // About 40 s: the labelled recordings one at a time through the VAD, scored at faster than real time.
      const result = await runAmdBench();
      return { result, text: formatAmdBench(result) };
    },
  },
  {
    name: 'tools',
    run: async (quick) => {
      const result = await runToolRoundTripBench({
        calls: 100,
        toolCalls: quick ? 100 : 500,
        pauseMs: 1000,
        ...(process.env.BENCH_REDIS_URL ? { redisUrl: process.env.BENCH_REDIS_URL } : {}),
        ...(process.env.BENCH_MYSQL_URL ? { mysqlUrl: process.env.BENCH_MYSQL_URL } : {}),
      });
      return { result, text: formatToolRoundTripBench(result) };
    },
  },
  {
    name: 'tools-live',
    run: async (quick) => {
      // 100 live Realtime calls, each asking for a tool every 5 s (20 tool calls/s in all).
      const result = await runToolsLiveBench(
        quick ? { calls: 30, seconds: 5, periodMs: 5000 } : { calls: 100, seconds: 12, periodMs: 5000 },
      );
      return { result, text: formatToolsLiveBench(result) };
    },
  },
];

const USAGE = `usage: npm run bench -- [--quick] [--only SUITES] [--record] [--out DIR] [calls options]

Runs the benchmark suites (the standard run takes up to about 32 minutes and all cores; run it on a quiet machine).
  --quick        shorter windows and fewer calls (a smoke run; its figures are not the headline)
  --only LIST    only these suites, comma-separated: ${SUITES.map((x) => x.name).join(', ')}
  --record       standard run only: write to the tracked bench/results/ and refresh docs/benchmarks.md
  --out DIR      where an unrecorded run writes <date>.json and .md (default out/bench, git-ignored)
  --help         print this and exit
The calls suite's max-calls search (not with --record, except --service-env):
  --calls-steps LIST     call counts, comma-separated (default 150,200,250,300,400,500)
  --calls-seconds S      measured window per step (default 10)
  --calls-series LIST    series, comma-separated (default all: vad-off, vad-on, vad-off-aligned, vad-on-aligned,
                         vad-on-split)
  --calls-budget S       wall-time budget of its load steps (default 600)
  --service-env K=V      extra environment of the service in every step (repeatable), e.g. a knob under test
The media-workers suite's search (MEDIA_WORKERS=0, 1, 2; not with --record; --service-env applies, MEDIA_WORKERS
excepted, which the suite sets itself):
  --workers-steps LIST   call counts, comma-separated (default 50,75,100,150,200,250,300,400,500,600)
  --workers-seconds S    measured window per step (default 10)
  --workers-budget S     wall-time budget of its load steps (default 660)
  --workers-counts LIST  worker counts, comma-separated (default 0,1,2)
Environment: BENCH_MYSQL_URL, BENCH_REDIS_URL (default 127.0.0.1).`;

const { values: args, positionals } = scriptArgs('bench', USAGE, {
  quick: { type: 'boolean', default: false },
  only: { type: 'string' },
  record: { type: 'boolean', default: false },
  out: { type: 'string' },
  'calls-steps': { type: 'string' },
  'calls-seconds': { type: 'string' },
  'calls-series': { type: 'string' },
  'calls-budget': { type: 'string' },
  'service-env': { type: 'string', multiple: true },
  'workers-steps': { type: 'string' },
  'workers-seconds': { type: 'string' },
  'workers-budget': { type: 'string' },
  'workers-counts': { type: 'string' },
});
const quick = args.quick === true;
const only = args.only === undefined ? undefined : new Set(args.only.split(','));
const record = args.record === true;
const unknownSuites = only ? [...only].filter((n) => !SUITES.some((x) => x.name === n)) : [];
const usageError =
  positionals.length > 0
    ? `unexpected argument "${positionals[0]}"`
    : unknownSuites.length > 0
      ? `unknown suite "${unknownSuites[0]}" (suites: ${SUITES.map((x) => x.name).join(', ')})`
      : record && (quick || only)
        ? '--record is for the standard run only (no --quick, no --only)'
        : record && args.out !== undefined
          ? '--record writes to bench/results/; --out is for unrecorded runs'
          : record && (args['calls-steps'] ?? args['calls-seconds'] ?? args['calls-series'] ?? args['calls-budget'])
            ? '--record is for the standard run only (no --calls-steps, --calls-seconds, --calls-series, --calls-budget)'
            : record &&
                (args['workers-steps'] ?? args['workers-seconds'] ?? args['workers-budget'] ?? args['workers-counts'])
              ? '--record is for the standard run only (no --workers-steps, --workers-seconds, --workers-budget, --workers-counts)'
              : undefined;
if (usageError) {
  process.stderr.write(`bench: ${usageError} (see --help)\n`);
  process.exit(2);
}
let tuning: SuiteTuning;
try {
  const serviceEnv = args['service-env'] ? parseServiceEnv(args['service-env']) : undefined;
  const { MEDIA_WORKERS: _set, ...workersEnv } = serviceEnv ?? {};
  tuning = {
    mediaWorkers: {
      ...(args['workers-steps'] ? { steps: parseSteps(args['workers-steps'], '--workers-steps') } : {}),
      ...(args['workers-seconds'] ? { seconds: parseSeconds(args['workers-seconds'], '--workers-seconds') } : {}),
      ...(args['workers-budget'] ? { budgetS: parseSeconds(args['workers-budget'], '--workers-budget') } : {}),
      ...(args['workers-counts'] ? { workers: parseWorkerCounts(args['workers-counts'], '--workers-counts') } : {}),
      ...(serviceEnv ? { serviceEnv: workersEnv } : {}),
    },
    calls: {
      ...(args['calls-steps'] ? { calls: parseSteps(args['calls-steps'], '--calls-steps') } : {}),
      ...(args['calls-seconds'] ? { seconds: parseSeconds(args['calls-seconds'], '--calls-seconds') } : {}),
      ...(args['calls-series'] ? { series: parseSeries(args['calls-series']) } : {}),
      ...(args['calls-budget'] ? { budgetS: parseSeconds(args['calls-budget'], '--calls-budget') } : {}),
      ...(serviceEnv ? { serviceEnv } : {}),
    },
  };
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message} (see --help)\n`);
  process.exit(2);
}

const started = new Date();
const machine = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: +(totalmem() / 2 ** 30).toFixed(1),
  loadAverageAtStart: loadavg().map((x) => +x.toFixed(2)),
};
const header = [
  `Benchmarks of ${started.toISOString()} — ${quick ? 'QUICK run (short windows, fewer calls)' : 'standard run'}`,
  `node ${machine.node}, ${machine.cores} × ${machine.cpu}, ${machine.memoryGb} GiB, load average at start ${machine.loadAverageAtStart.join(' ')}`,
];
process.stdout.write(`${header.join('\n')}\n\n`);

const results: Record<string, unknown> = {};
const sections: string[] = [];
let failed = 0;
for (const suite of SUITES) {
  if (only && !only.has(suite.name)) continue;
  const t0 = performance.now();
  process.stdout.write(`== ${suite.name} ...\n`);
  try {
    const { result, text } = await suite.run(quick, tuning);
    const secs = ((performance.now() - t0) / 1000).toFixed(0);
    results[suite.name] = result;
    sections.push(`## ${suite.name}\n\n(${secs} s)\n\n\`\`\`\n${text}\n\`\`\``);
    process.stdout.write(`${text}\n(${secs} s)\n\n`);
  } catch (err) {
    failed += 1;
    const message = err instanceof Error ? err.message : String(err);
    results[suite.name] = { error: message };
    sections.push(`## ${suite.name}\n\nFAILED: ${message}`);
    process.stdout.write(`${suite.name} FAILED: ${message}\n\n`);
  }
}

const stamp = started.toISOString().replace(/[:.]/g, '-');
const resultsDir = record
  ? fileURLToPath(new URL('./results/', import.meta.url))
  : `${resolve(args.out ?? fileURLToPath(new URL('../out/bench/', import.meta.url)))}/`;
await mkdir(resultsDir, { recursive: true });
const totalSeconds = ((Date.now() - started.getTime()) / 1000).toFixed(0);
const md = `# ${header[0]}\n\n${header[1]}\n\n${sections.join('\n\n')}\n\nWhole run: ${totalSeconds} s.\n`;
await writeFile(
  `${resultsDir}${stamp}.json`,
  `${JSON.stringify({ started: started.toISOString(), quick, machine, results }, null, 2)}\n`,
);
await writeFile(`${resultsDir}${stamp}.md`, md);
if (record) {
  const docPath = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
  const doc = await readFile(docPath, 'utf8').catch(() => '');
  const marker = '<!-- latest results below are generated by npm run bench -->';
  const method = doc.includes(marker) ? doc.slice(0, doc.indexOf(marker)) : `# Benchmarks\n\n`;
  await writeFile(docPath, `${method}${marker}\n\n${md}`);
}
const fromCwd = relative(process.cwd(), resultsDir);
const shownDir = fromCwd.startsWith('..') ? resultsDir : `${fromCwd}/`;
process.stdout.write(
  `whole run ${totalSeconds} s; wrote ${shownDir}${stamp}.json and .md${record ? ', docs/benchmarks.md' : ''}\n`,
);
process.exit(failed > 0 ? 1 : 0);
