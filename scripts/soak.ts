/**
 * Soak: calls arriving and ending at a steady rate for a long time against the real service in its own process
 * (bench/suites/calls-server.ts, pinned like the full-call benchmark), with MySQL and Redis records.
 *
 * Concurrency target = `load` × `max` (default 70 % of 100). Calls arrive every `callSeconds / target` seconds and
 * last `callSeconds` × U(0.5, 1.5); each caller loops real speech at a native echo agent. Every `sampleSeconds` it
 * samples the service's RSS and open file descriptors (/proc/<pid>/fd), the live calls, and the downlink frame
 * gaps the callers saw in that window. At the end every call must have a row in MySQL in state `ended` with a
 * close reason.
 *
 * Pass/fail (exit 1 on fail), over the steady phase (after the first `callSeconds` × 1.5 of ramp-up):
 * - RSS: least-squares growth over the steady phase ≤ max(`rssAllowMb`, `rssSlopeMbPerHour` × hours);
 * - handles: growth of (fds − 2 × live calls) ≤ max(`fdAllow`, `fdSlopePerHour` × hours) (a call holds 2 sockets:
 *   its AudioSocket and its agent WebSocket);
 * - latency: median per-sample gap p99 of the last third ≤ that of the first third + 10 ms;
 * - records: no call missing or without a final state.
 *
 * `npm run soak -- [--minutes 60] [--max 100] [--load 0.7] [--call-seconds 60] [--sample-seconds 10] [--vad]
 *   [--mysql mysql://root@127.0.0.1:3306] [--redis redis://127.0.0.1:6379] [--record | --out DIR]` (`--help`)
 * Writes out/bench/soak-<timestamp>.json (git-ignored), or with --record the tracked bench/results/. Exit 0 pass,
 * 1 fail, 2 invalid (no failure, but the generator fell behind in most samples, so latency could not be judged: run
 * it on a quiet machine) or a bad option.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { gapStats, processRssMb } from '../bench/lib/stats.js';
import { MediaClock } from '../src/audio/media-clock.js';
import { createDb } from '../src/db/create-db.js';
import { startNativeEchoAgent } from '../src/simulator/agents/native-echo-agent.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../src/simulator/audiosocket-dialer.js';
import { readWavFile, toMono } from '../src/simulator/audio/wav.js';
import { scriptArgs } from '../bench/lib/script-args.js';
import { pin, startService, stopService } from '../bench/lib/service-process.js';

const HELLO_WAV = fileURLToPath(new URL('../test/fixtures/speech/hello-8k.wav', import.meta.url));
const USAGE = `usage: npm run soak -- [options]

Calls arriving and ending at a steady rate for a long time against the real service (MySQL and Redis records);
checks memory, handles, latency and records. Exit 0 pass, 1 fail, 2 invalid run or bad option.
  --minutes N              length of the run (default 60)
  --max N                  capacity the load is relative to (default 100)
  --load F                 concurrency target = load x max (default 0.7)
  --call-seconds N         mean call length (default 60)
  --sample-seconds N       sampling period (default 10)
  --vad                    VAD on (silero)
  --mysql URL              MySQL server, without database (default mysql://root@127.0.0.1:3306)
  --redis URL              Redis (default redis://127.0.0.1:6379)
  --rss-slope-mb-per-hour N, --rss-allow-mb N, --fd-slope-per-hour N, --fd-allow N   pass/fail limits
  --record                 write the result to the tracked bench/results/ (default: out/bench/, git-ignored)
  --out DIR                where an unrecorded run writes its result
  --help                   print this and exit`;

const { values: args } = scriptArgs('soak', USAGE, {
  minutes: { type: 'string', default: '60' },
  max: { type: 'string', default: '100' },
  load: { type: 'string', default: '0.7' },
  'call-seconds': { type: 'string', default: '60' },
  'sample-seconds': { type: 'string', default: '10' },
  vad: { type: 'boolean', default: false },
  mysql: { type: 'string', default: 'mysql://root@127.0.0.1:3306' },
  redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  'rss-slope-mb-per-hour': { type: 'string', default: '20' },
  'rss-allow-mb': { type: 'string', default: '25' },
  'fd-slope-per-hour': { type: 'string', default: '10' },
  'fd-allow': { type: 'string', default: '10' },
  record: { type: 'boolean', default: false },
  out: { type: 'string' },
});
if (args.record && args.out !== undefined) {
  process.stderr.write('soak: --record writes to bench/results/; --out is for unrecorded runs (see --help)\n');
  process.exit(2);
}
const RESULTS_DIR = args.record
  ? fileURLToPath(new URL('../bench/results/', import.meta.url))
  : `${resolve(args.out ?? fileURLToPath(new URL('../out/bench/', import.meta.url)))}/`;

const minutes = Number(args.minutes);
const target = Math.max(1, Math.round(Number(args.max) * Number(args.load)));
const callSeconds = Number(args['call-seconds']);
const sampleSeconds = Number(args['sample-seconds']);
for (const [k, v] of Object.entries({ minutes, target, callSeconds, sampleSeconds })) {
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`soak: --${k} must be a positive number\n`);
    process.exit(2);
  }
}

interface Sample {
  readonly t: number;
  readonly liveCalls: number;
  readonly serviceCalls: number | undefined;
  readonly rssMb: number | undefined;
  readonly fds: number | undefined;
  readonly frames: number;
  readonly gapP50Ms: number;
  readonly gapP99Ms: number;
  readonly gapMaxMs: number;
  readonly pctGapsOver30Ms: number;
  /** The generator's own event-loop delay p99 in the window; over 10 ms its gap figures are not the service's. */
  readonly generatorLagP99Ms: number;
  readonly loadAverage1m: number;
}

async function fdCount(pid: number): Promise<number | undefined> {
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch {
    return undefined;
  }
}

/** Least-squares slope of y over x (per unit of x). */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function serviceCalls(child: ChildProcess): Promise<number | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 2000);
    const onMessage = (m: { type?: string; calls?: number }) => {
      if (m?.type !== 'stats') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m.calls);
    };
    child.on('message', onMessage);
    child.send({ type: 'stats' });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const dbName = `soak_${randomBytes(4).toString('hex')}`;
  const prefix = `soak-${randomBytes(4).toString('hex')}`;
  const admin = createDb({ connection: { url: `${args.mysql}/mysql` }, poolSize: 1 });
  await sql`CREATE DATABASE ${sql.id(dbName)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(admin);
  try {
    return await run(dbName, prefix);
  } finally {
    await sql`DROP DATABASE IF EXISTS ${sql.id(dbName)}`.execute(admin).catch(() => undefined);
    await admin.destroy();
    const redis = new Redis(args.redis, { maxRetriesPerRequest: 1 });
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}

async function run(dbName: string, prefix: string): Promise<number> {
  const mysqlUrl = `${args.mysql}/${dbName}`;
  const secret = randomBytes(16).toString('hex');
  const agent = await startNativeEchoAgent({ mode: 'echo', secret, maxRecordedAudioBytes: 0 });
  try {
    return await soak(agent, mysqlUrl, secret, prefix);
  } finally {
    await agent.close();
  }
}

async function soak(
  agent: Awaited<ReturnType<typeof startNativeEchoAgent>>,
  mysqlUrl: string,
  secret: string,
  prefix: string,
): Promise<number> {
  const dir = await mkdtemp('/tmp/ava-soak-');
  await writeFile(
    `${dir}/routes.json`,
    JSON.stringify({
      routes: [{ name: 'soak', agent: { kind: 'websocket', url: agent.url, secretEnv: 'SOAK_AGENT_SECRET' } }],
    }),
  );
  const { child, port } = await startService({
    AUDIOSOCKET_HOST: '127.0.0.1',
    AUDIOSOCKET_PORT: '0',
    AUDIOSOCKET_ALLOW_ANY_UUID: 'true',
    ROUTES_FILE: `${dir}/routes.json`,
    SOAK_AGENT_SECRET: secret,
    VAD: args.vad ? 'silero' : 'off',
    LOG_LEVEL: 'warn',
    HTTP_ENABLED: 'false',
    MYSQL_URL: mysqlUrl,
    REDIS_URL: args.redis,
    JOBS_PREFIX: prefix,
    INSTANCE_ID: prefix,
  });
  // Never leave the service behind, whatever happens below.
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const pid = child.pid!;
  const pinned = pin(pid, 1) && pin(process.pid, 0);
  const speech = toMono(await readWavFile(HELLO_WAV));
  const clock = new MediaClock();
  clock.start();

  const live = new Set<SimulatedAudioSocketCall>();
  const uuids: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const dialFailures: string[] = [];
  let windowGaps: number[] = [];
  let windowFrames = 0;
  const samples: Sample[] = [];
  const durationMs = minutes * 60_000;
  const arrivalMs = (callSeconds * 1000) / target;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;

  process.stdout.write(
    `soak: ${minutes} min, ${target} concurrent calls target (${args.load} × ${args.max}), one arrival every ` +
      `${arrivalMs.toFixed(0)} ms, calls ${callSeconds} s × U(0.5, 1.5), VAD ${args.vad ? 'on' : 'off'}, ` +
      `service pid ${pid}${pinned ? ' pinned to core 1, generator core 0' : ''}\n`,
  );
  process.stdout.write(
    '| t s | live | service | RSS MB | fds | frames | gap p50 | gap p99 | gap max | > 30 ms | generator lag p99 | load 1m |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|---|---|---|---|---|---|\n');

  /** `lifeFraction` × callSeconds is the call's length: U(0.5, 1.5) for arrivals, U(0, 1) for the first batch. */
  async function startCall(lifeFraction: number): Promise<void> {
    const uuid = randomUUID();
    uuids.push(uuid);
    let last: number | undefined;
    try {
      const call = await dialAudioSocket({
        host: '127.0.0.1',
        port,
        uuid,
        clock,
        source: { type: 'samples', samples: speech, loop: true },
        recordReceived: false,
        recordSent: false,
        onFrame: (f) => {
          if (f.kind !== 0x10) return;
          if (last !== undefined) windowGaps.push(f.at - last);
          last = f.at;
          windowFrames += 1;
        },
      });
      live.add(call);
      void call.closed.then(() => live.delete(call));
      const lifeMs = callSeconds * 1000 * lifeFraction;
      const timer = setTimeout(() => {
        timers.delete(timer);
        void call.hangup().catch(() => undefined);
      }, lifeMs);
      timers.add(timer);
    } catch (err) {
      dialFailures.push(`${uuid}: ${(err as Error).message}`);
    }
  }

  let arrivals = 0;
  const arrivalTimer = setInterval(() => {
    if (performance.now() - t0 >= durationMs) return;
    arrivals += 1;
    void startCall(0.5 + Math.random());
  }, arrivalMs);
  // Start with the target already up, each first call with a residual life of U(0, 1) × callSeconds, so the
  // steady phase starts at once; the steady arrival rate then keeps the count near the target.
  for (let i = 0; i < target; i++) {
    void startCall(Math.random());
    if (i % 10 === 9) await sleep(100);
  }

  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  while (performance.now() - t0 < durationMs) {
    lag.reset();
    await sleep(sampleSeconds * 1000);
    const generatorLagP99Ms = +(lag.percentile(99) / 1e6).toFixed(1);
    const gaps = gapStats(windowGaps);
    const frames = windowFrames;
    windowGaps = [];
    windowFrames = 0;
    const rss = await processRssMb(pid);
    const s: Sample = {
      t: +elapsed().toFixed(1),
      liveCalls: live.size,
      serviceCalls: await serviceCalls(child),
      rssMb: rss === undefined ? undefined : +rss.toFixed(1),
      fds: await fdCount(pid),
      frames,
      gapP50Ms: +gaps.p50Ms.toFixed(1),
      gapP99Ms: +gaps.p99Ms.toFixed(1),
      gapMaxMs: +gaps.maxMs.toFixed(1),
      pctGapsOver30Ms: +gaps.pctOver30Ms.toFixed(3),
      generatorLagP99Ms,
      loadAverage1m: +loadavg()[0]!.toFixed(2),
    };
    samples.push(s);
    process.stdout.write(
      `| ${s.t} | ${s.liveCalls} | ${s.serviceCalls ?? '-'} | ${s.rssMb ?? '-'} | ${s.fds ?? '-'} | ${s.frames} | ` +
        `${s.gapP50Ms} | ${s.gapP99Ms} | ${s.gapMaxMs} | ${s.pctGapsOver30Ms} % | ${s.generatorLagP99Ms} | ${s.loadAverage1m} |\n`,
    );
  }
  lag.disable();
  clearInterval(arrivalTimer);
  for (const t of timers) clearTimeout(t);
  await Promise.all([...live].map((c) => c.hangup().catch(() => undefined)));

  // Every call recorded with a final state (the recorder writes through the job layer; allow it to catch up).
  const db = createDb({ connection: { url: mysqlUrl }, poolSize: 2 });
  let missing: string[] = [];
  let notFinal: { uuid: string; state: string }[] = [];
  const recordDeadline = Date.now() + 60_000;
  for (;;) {
    const rows = await db.selectFrom('calls').select(['audiosocket_uuid', 'state', 'close_reason']).execute();
    const byUuid = new Map(rows.map((r) => [r.audiosocket_uuid, r]));
    const dialled = uuids.filter((u) => !dialFailures.some((f) => f.startsWith(u)));
    missing = dialled.filter((u) => !byUuid.has(u));
    notFinal = dialled
      .map((u) => ({ uuid: u, row: byUuid.get(u) }))
      .filter((x) => x.row && (x.row.state !== 'ended' || !x.row.close_reason))
      .map((x) => ({ uuid: x.uuid, state: String(x.row!.state) }));
    if ((missing.length === 0 && notFinal.length === 0) || Date.now() > recordDeadline) break;
    await sleep(1000);
  }
  const closeReasons = await db
    .selectFrom('calls')
    .select(['close_reason', db.fn.countAll<number>().as('n')])
    .groupBy('close_reason')
    .execute();
  await db.destroy();

  clock.stop();
  await stopService(child);

  // Verdicts over the steady phase.
  const rampS = callSeconds * 1.5;
  const steady = samples.filter((s) => s.t >= rampS);
  const steadyHours = steady.length >= 2 ? (steady.at(-1)!.t - steady[0]!.t) / 3600 : 0;
  const rssPts = steady.filter((s) => s.rssMb !== undefined).map((s) => ({ x: s.t / 3600, y: s.rssMb! }));
  const fdPts = steady
    .filter((s) => s.fds !== undefined)
    .map((s) => ({ x: s.t / 3600, y: s.fds! - 2 * (s.serviceCalls ?? s.liveCalls) }));
  const rssSlope = slope(rssPts);
  const fdSlope = slope(fdPts);
  const rssAllowed = Math.max(Number(args['rss-allow-mb']), Number(args['rss-slope-mb-per-hour']) * steadyHours);
  const fdAllowed = Math.max(Number(args['fd-allow']), Number(args['fd-slope-per-hour']) * steadyHours);
  // Latency is judged on samples where the generator kept up; too few of them make the run invalid (exit 2).
  const valid = steady.filter((s) => s.generatorLagP99Ms <= 10);
  const third = Math.max(1, Math.floor(valid.length / 3));
  /** Median of the per-sample gap p99s (one noisy sample on a shared machine does not decide). */
  const medianP99 = (xs: Sample[]) => {
    const v = xs
      .map((s) => s.gapP99Ms)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    return v.length === 0 ? Number.NaN : v[Math.floor(v.length / 2)]!;
  };
  const firstP99 = medianP99(valid.slice(0, third));
  const lastP99 = medianP99(valid.slice(-third));
  const latencyValid = valid.length >= 3 && valid.length >= steady.length / 2;
  const checks = {
    rss: {
      growthMb: +(rssSlope * steadyHours).toFixed(1),
      allowedMb: +rssAllowed.toFixed(1),
      slopeMbPerHour: +rssSlope.toFixed(1),
    },
    handles: {
      growth: +(fdSlope * steadyHours).toFixed(1),
      allowed: +fdAllowed.toFixed(1),
      slopePerHour: +fdSlope.toFixed(1),
    },
    latency: {
      validSamples: valid.length,
      steadySamples: steady.length,
      firstThirdGapP99Ms: firstP99,
      lastThirdGapP99Ms: lastP99,
      allowedIncreaseMs: 10,
    },
    records: {
      calls: uuids.length,
      dialFailures: dialFailures.length,
      missing: missing.length,
      notFinal: notFinal.length,
    },
  };
  const failures: string[] = [];
  if (steady.length < 3) failures.push(`too short: ${steady.length} samples after the ${rampS} s ramp-up`);
  if (checks.rss.growthMb > rssAllowed)
    failures.push(`RSS grew ${checks.rss.growthMb} MB > ${checks.rss.allowedMb} MB`);
  if (checks.handles.growth > fdAllowed)
    failures.push(`handles grew ${checks.handles.growth} > ${checks.handles.allowed}`);
  if (latencyValid && lastP99 > firstP99 + 10) failures.push(`gap p99 grew from ${firstP99} ms to ${lastP99} ms`);
  const invalid = latencyValid
    ? undefined
    : `the generator fell behind (event-loop delay p99 > 10 ms) in ${steady.length - valid.length} of ${steady.length} steady samples: latency not judged`;
  if (missing.length > 0) failures.push(`${missing.length} calls missing in MySQL`);
  if (notFinal.length > 0) failures.push(`${notFinal.length} calls without a final state`);
  if (dialFailures.length > 0) failures.push(`${dialFailures.length} calls could not be dialled`);

  const result = {
    startedAt: new Date(Date.now() - elapsed() * 1000).toISOString(),
    node: process.version,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    pinned,
    loadAverageAtEnd: loadavg().map((x) => +x.toFixed(2)),
    options: {
      minutes,
      max: Number(args.max),
      load: Number(args.load),
      target,
      callSeconds,
      sampleSeconds,
      vad: args.vad,
    },
    arrivals: arrivals + target,
    closeReasons: Object.fromEntries(closeReasons.map((r) => [r.close_reason ?? 'null', Number(r.n)])),
    checks,
    passed: failures.length === 0,
    failures,
    invalid,
    missing: missing.slice(0, 20),
    notFinal: notFinal.slice(0, 20),
    dialFailures: dialFailures.slice(0, 20),
    samples,
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    [
      '',
      `calls: ${result.arrivals} dialled, ${dialFailures.length} failed to dial; close reasons ${JSON.stringify(result.closeReasons)}`,
      `RSS: steady-phase growth ${checks.rss.growthMb} MB (${checks.rss.slopeMbPerHour} MB/h), allowed ${checks.rss.allowedMb} MB`,
      `handles (fds - 2 x live calls): growth ${checks.handles.growth} (${checks.handles.slopePerHour}/h), allowed ${checks.handles.allowed}`,
      `latency: median per-sample gap p99 over ${valid.length} valid samples, first third ${firstP99} ms, last third ${lastP99} ms`,
      `records: ${missing.length} missing, ${notFinal.length} without a final state`,
      `${failures.length === 0 ? 'PASS' : `FAIL: ${failures.join('; ')}`}${invalid ? ` (INVALID: ${invalid})` : ''}`,
      `written ${file}`,
      '',
    ].join('\n'),
  );
  if (failures.length > 0) return 1;
  return invalid ? 2 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
