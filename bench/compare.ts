/**
 * `npm run bench:compare -- --base <ref>`: before and after in one run on the same machine. Checks the base commit
 * out beside this one (a detached `git worktree` in a temporary directory; its dependencies are this checkout's when
 * the lockfiles match, else `npm ci` there), then runs the same load steps against the base service and this
 * checkout's service, alternating, with this checkout's load generator for both (identical load). Each step is one
 * `runLoad` (bench/loadgen.ts): a freshly started service pinned as the series says, the callers and the echo agent
 * on the other core. Writes JSON and markdown to bench/results/ (`--out` elsewhere) and prints how it ran next to
 * the figures. The base worktree is removed at the end (`--keep` keeps it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  parseSeconds,
  parseSeries,
  parseSteps,
  type SeriesSpec,
  type StepRow,
  stepTableHeader,
  stepTableLine,
} from './lib/load-series.js';
import { scriptArgs } from './lib/script-args.js';
import { benchMachine, CAN_PIN, parseServiceEnv, serviceEntry, THIS_ROOT } from './lib/service-process.js';
import { MAX_GAPS_OVER_30_MS_PCT, MAX_SERVICE_LOOP_P99_MS } from './lib/step-search.js';
import { loadStep } from './suites/calls.js';
import type { LoadResult } from './loadgen/types.js';

const USAGE = `usage: npm run bench:compare -- --base REF [options]

Before and after in one run: the load generator of this checkout drives the service of REF (checked out beside this
one in a temporary git worktree) and the service of this checkout, alternating, step by step. Writes JSON and
markdown to bench/results/compare-<date>.*. Run it on a quiet machine: about 25 s per run.
  --base REF           commit, branch or tag of the "before" service (required unless --base-dir)
  --base-dir DIR       an existing checkout of the "before" service (npm ci done there) instead of a worktree
  --calls LIST         call counts, comma-separated (default 150,300,400)
  --series LIST        series, comma-separated (default vad-off,vad-on,vad-off-aligned,vad-on-aligned; also
                       vad-on-split: event loop on core 1, VAD worker and other threads on core 0)
  --seconds S          measured window per run (default 10)
  --repeat N           runs per service and step (default 1)
  --service-env K=V    extra environment of both services (repeatable)
  --keep               keep the base worktree (its path is printed)
  --out DIR            where to write (default bench/results)
Exit status 1 when a run could not be made (listed in the output; the other runs are kept).`;

/** One measured run of a comparison. */
export interface CompareRun {
  readonly service: 'base' | 'current';
  readonly series: string;
  readonly repeat: number;
  readonly row: StepRow;
  readonly result: LoadResult;
}

/** Runs `git` in this checkout; returns its trimmed stdout, throws with its stderr on failure. */
function git(args: readonly string[], cwd = THIS_ROOT): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

/** What a checkout is: commit, subject, and whether it has uncommitted changes. */
function describeCheckout(dir: string): { commit: string; subject: string; dirty: boolean } {
  return {
    commit: git(['rev-parse', '--short=12', 'HEAD'], dir),
    subject: git(['log', '-1', '--format=%s'], dir),
    dirty: git(['status', '--porcelain', '--untracked-files=no'], dir).length > 0,
  };
}

/** Checks the base out in a temporary worktree with its dependencies; returns its directory. */
async function checkOutBase(ref: string): Promise<string> {
  const commit = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  const dir = await mkdtemp(join(tmpdir(), 'ava-bench-base-'));
  git(['worktree', 'add', '--detach', dir, commit]);
  const lock = (root: string): string => readFileSync(join(root, 'package-lock.json'), 'utf8');
  if (existsSync(join(THIS_ROOT, 'node_modules')) && lock(dir) === lock(THIS_ROOT)) {
    process.stdout.write('base: same package-lock.json as this checkout; using its node_modules\n');
    symlinkSync(join(THIS_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  } else {
    process.stdout.write('base: its package-lock.json differs; npm ci there ...\n');
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`npm ci in the base worktree ${dir} failed`);
  }
  return dir;
}

async function removeBase(dir: string): Promise<void> {
  const r = spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: THIS_ROOT, encoding: 'utf8' });
  if (r.status !== 0) await rm(dir, { recursive: true, force: true });
  spawnSync('git', ['worktree', 'prune'], { cwd: THIS_ROOT });
}

/** The order of the two services for the n-th cell: alternating, so a drift of the machine hits both alike. */
export function serviceOrder(n: number): Array<'base' | 'current'> {
  return n % 2 === 0 ? ['base', 'current'] : ['current', 'base'];
}

const ISSUE_COLUMNS = [
  'calls',
  'VAD',
  'phases',
  'service',
  'service CPU per call-second',
  'share of a core (event-loop thread)',
  'gaps > 30 ms',
  'event-loop delay p99 / max',
  'GC pauses',
  'lost frames',
  'valid',
];

/** The short table (the issue's columns), one line per run. */
export function compareTable(runs: readonly CompareRun[]): string[] {
  const dash = (x: number | undefined, unit: string): string => (x === undefined ? '-' : `${x}${unit}`);
  return [
    `| ${ISSUE_COLUMNS.join(' | ')} |`,
    `|${ISSUE_COLUMNS.map(() => '---').join('|')}|`,
    ...runs.map((r) => {
      const x = r.row;
      // Bold where the gap rule is missed, as in the issue's table.
      const gapsBold = x.gapsOver30Pct >= MAX_GAPS_OVER_30_MS_PCT ? '**' : '';
      const loopBold = (x.loopP99Ms ?? 0) > MAX_SERVICE_LOOP_P99_MS ? '**' : '';
      return `| ${x.calls} | ${x.vad ? 'on' : 'off'} | ${x.phases === 1 ? 'aligned' : x.phases} | ${r.service} | ${dash(x.cpuMsPerCallSecond, ' ms')} | ${dash(x.pctOfCore, ' %')} (${dash(x.mainThreadPctOfCore, ' %')}) | ${gapsBold}${x.gapsOver30Pct.toFixed(2)} %${gapsBold} | ${loopBold}${dash(x.loopP99Ms, '')}${loopBold} / ${dash(x.loopMaxMs, ' ms')} | ${x.gcMs === undefined ? '-' : `${x.gcMs} ms (${x.gcPctOfWindow} %)`} | ${x.lostPct} % | ${x.valid ? 'yes' : 'NO'}${x.disturbed ? ' (disturbed)' : ''} |`;
    }),
  ];
}

/** Runs the comparison; resolves with the number of runs that could not be made. */
async function main(): Promise<number> {
  const { values } = scriptArgs('bench:compare', USAGE, {
    base: { type: 'string' },
    'base-dir': { type: 'string' },
    calls: { type: 'string', default: '150,300,400' },
    series: { type: 'string', default: 'vad-off,vad-on,vad-off-aligned,vad-on-aligned' },
    seconds: { type: 'string', default: '10' },
    repeat: { type: 'string', default: '1' },
    'service-env': { type: 'string', multiple: true },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
  });
  let calls: number[];
  let series: SeriesSpec[];
  let seconds: number;
  let serviceEnv: Record<string, string>;
  const repeat = Number(values.repeat);
  try {
    if ((values.base === undefined) === (values['base-dir'] === undefined))
      throw new Error('give --base REF or --base-dir DIR (one of them)');
    calls = parseSteps(values.calls, '--calls');
    series = parseSeries(values.series);
    seconds = parseSeconds(values.seconds, '--seconds');
    serviceEnv = parseServiceEnv(values['service-env'] ?? []);
    if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat takes a whole number ≥ 1, not ${repeat}`);
  } catch (err) {
    process.stderr.write(`bench:compare: ${(err as Error).message} (see --help)\n`);
    process.exit(2);
  }
  const started = new Date();
  const machine = benchMachine(loadavg().map((x) => +x.toFixed(2)));
  const current = describeCheckout(THIS_ROOT);
  const baseDir = values['base-dir'] ? resolve(values['base-dir']) : await checkOutBase(values.base!);
  const removeOnExit = values['base-dir'] === undefined && !values.keep;
  const onSignal = (): void => {
    if (removeOnExit) void removeBase(baseDir).finally(() => process.exit(130));
    else process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    serviceEntry(baseDir); // throws at once when the base has no service entry or no node_modules
    const base = describeCheckout(baseDir);
    const runsTotal = calls.length * series.length * repeat * 2;
    const how = [
      `Before/after of ${started.toISOString()}: base ${base.commit} "${base.subject}" vs current ${current.commit}${current.dirty ? ' (with uncommitted changes)' : ''} "${current.subject}"`,
      `machine: node ${machine.node}, ${machine.cores} × ${machine.cpuModel}, load average at start ${machine.loadAverageAtStart.join(' ')}`,
      `pinning: ${CAN_PIN ? 'service on core 1 (vad-on-split: its event loop on core 1, its other threads on core 0), generator (callers in a child process, echo agent) on core 0, taskset' : 'NOT pinned (no taskset or fewer than 2 cores): figures are not comparable with pinned runs'}`,
      `load: this checkout's generator for both services; dialplan-direct AudioSocket slin calls of real speech with tone bursts, native WebSocket echo agent; starts spread over calls/100 s, warm-up max(3, 1 + ramp) s, ${seconds} s measured; a fresh service per run`,
      `series: ${series.map((s) => `${s.id} (${s.label})`).join('; ')}`,
      `calls: ${calls.join(', ')}; ${repeat} run(s) per service and step, the two services alternating (${runsTotal} runs, about ${Math.round((runsTotal * (12 + seconds)) / 60)} min)`,
      `service environment: ${
        Object.entries(serviceEnv).length > 0
          ? Object.entries(serviceEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')
          : 'defaults'
      }`,
      `gap rule: < ${MAX_GAPS_OVER_30_MS_PCT} % of downlink gaps > 30 ms, service event-loop delay p99 <= ${MAX_SERVICE_LOOP_P99_MS} ms, valid run (generator not late, every call connected)`,
    ];
    process.stdout.write(`${how.join('\n')}\n\n`);
    const runs: CompareRun[] = [];
    const failures: Array<{ service: string; series: string; calls: number; repeat: number; error: string }> = [];
    let cell = 0;
    for (const spec of series) {
      for (const n of calls) {
        for (let k = 0; k < repeat; k++) {
          for (const service of serviceOrder(cell)) {
            const root = service === 'base' ? baseDir : THIS_ROOT;
            process.stdout.write(`${spec.id}, ${n} calls, ${service} ... `);
            try {
              const step = await loadStep(spec, n, seconds, { env: serviceEnv, root });
              runs.push({ service, series: spec.id, repeat: k, row: step.row, result: step.result });
              process.stdout.write(
                `${step.row.gapsOver30Pct.toFixed(2)} % gaps > 30 ms, loop p99 ${step.row.loopP99Ms ?? '-'} ms, ${step.row.cpuMsPerCallSecond ?? '-'} ms/call-s${step.row.valid ? '' : ', INVALID'}\n`,
              );
            } catch (err) {
              // One run that could not be made (a service that did not start) is reported; the others go on.
              const error = err instanceof Error ? err.message : String(err);
              failures.push({ service, series: spec.id, calls: n, repeat: k, error });
              process.stdout.write(`FAILED: ${error}\n`);
            }
          }
          cell += 1;
        }
      }
    }
    const ordered = [...runs].sort(
      (a, b) =>
        series.findIndex((s) => s.id === a.series) - series.findIndex((s) => s.id === b.series) ||
        a.row.calls - b.row.calls ||
        (a.service === b.service ? a.repeat - b.repeat : a.service === 'base' ? -1 : 1),
    );
    const finished = new Date();
    how.push(
      `whole run ${((finished.getTime() - started.getTime()) / 1000).toFixed(0)} s; load average at the end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    const md = [
      `# Before/after: ${base.commit} vs ${current.commit}`,
      '',
      ...how.map((l) => `- ${l}`),
      '',
      ...compareTable(ordered),
      '',
      'Every figure of each run:',
      '',
      ...stepTableHeader(['service', 'series']),
      ...ordered.map((r) => stepTableLine(r.row, [r.service, r.series])),
      '',
      ...(failures.length > 0
        ? [
            'Runs that could not be made:',
            '',
            ...failures.map((f) => `- ${f.series}, ${f.calls} calls, ${f.service}: ${f.error}`),
            '',
          ]
        : []),
    ].join('\n');
    process.stdout.write(`\n${md}\n`);
    const outDir = resolve(values.out ?? join(THIS_ROOT, 'bench', 'results'));
    await mkdir(outDir, { recursive: true });
    const stamp = started.toISOString().replace(/[:.]/g, '-');
    const file = join(outDir, `compare-${stamp}`);
    await writeFile(
      `${file}.json`,
      `${JSON.stringify({ started: started.toISOString(), machine, base, current, calls, series, seconds, repeat, serviceEnv, how, runs: ordered, failures }, null, 2)}\n`,
    );
    await writeFile(`${file}.md`, md);
    const shown = relative(process.cwd(), file);
    process.stdout.write(`wrote ${shown.startsWith('..') ? file : shown}.json and .md\n`);
    return failures.length;
  } finally {
    if (removeOnExit) await removeBase(baseDir);
    else if (values['base-dir'] === undefined) process.stdout.write(`base worktree kept at ${baseDir}\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (failed) => process.exit(failed > 0 ? 1 : 0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
