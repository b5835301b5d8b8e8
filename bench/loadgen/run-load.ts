/** `runLoad`: places the planned calls, measures over the window, and returns every figure (bench/loadgen.ts). */
import type { Placement, ProcessRef } from '../lib/cpu-accounting.js';
import { CAN_PIN, pin, pinService, servicePinning } from '../lib/service-process.js';
import { processRssMb } from '../lib/stats.js';
import { type LoadService, realtimeStats, startLoadService } from './agent.js';
import { type AriCallers, ariEnv, startAriCallers } from './ari-callers.js';
import { askCallers, type CallersChild, forkCallers, startCallersInChild } from './callers-child.js';
import { type CallerPlan, type CallerReport, planCalls, runCallers } from './callers.js';
import { measureWindow, onsetLatencies } from './measurement.js';
import { checkPhases, MAX_PHASES } from './phased-clock.js';
import { buildLoadResult } from './report.js';
import { epochNow, type LoadOptions, type LoadResult } from './types.js';

function checkOptions(options: LoadOptions): void {
  const positive = (name: string, x: number | undefined): void => {
    if (x !== undefined && !(x > 0)) throw new RangeError(`${name} must be a positive number, not ${x}`);
  };
  positive('seconds', options.seconds);
  positive('calls', options.calls);
  positive('rate', options.rate);
  positive('durationS', options.durationS);
  if (options.phases !== undefined) checkPhases(options.phases);
  if (options.target && (options.serviceRoot !== undefined || options.serviceEnv !== undefined))
    throw new RangeError('serviceRoot and serviceEnv are for the self-started service (no target)');
  if (options.placement && options.target)
    throw new RangeError('placement is for the self-started service (no target)');
  if ((options.via ?? 'audiosocket') === 'ari' && options.target)
    throw new RangeError('via ari needs the self-started service (no target)');
}

/** What a run started and must stop: the callers (child process, or this one) and the self-started service. */
interface RunParts {
  readonly child: CallersChild | undefined;
  /** `inline` and `via: 'ari'`: the simulated Asterisk in this process. */
  inlineAri: AriCallers | undefined;
  /** Stops the callers. */
  stop: (() => Promise<void>) | undefined;
  service: LoadService | undefined;
}

/** Places the calls, measures over the window, and returns every figure. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  checkOptions(options);
  const via = options.via ?? 'audiosocket';
  const child = options.inline ? undefined : forkCallers();
  const parts: RunParts = { child, inlineAri: undefined, stop: child?.stop, service: undefined };
  try {
    return await measure(options, parts);
  } finally {
    // Via ARI the service hangs its calls up over ARI as it stops: the simulated Asterisk (callers) stops after it.
    if (via === 'ari') {
      await parts.service?.service.stop();
      parts.service = undefined;
    }
    await parts.stop?.();
    await parts.inlineAri?.close();
    await parts.service?.service.stop();
  }
}

/** `via: 'ari'`: the service's ARI settings, pointing at the simulated Asterisk the callers run. */
async function ariSettings(options: LoadOptions, parts: RunParts): Promise<Record<string, string>> {
  if ((options.via ?? 'audiosocket') !== 'ari') return {};
  if (parts.child) return ariEnv((await askCallers(parts.child, 'ari')).url);
  parts.inlineAri = await startAriCallers();
  return ariEnv(parts.inlineAri.url);
}

async function measure(options: LoadOptions, parts: RunParts): Promise<LoadResult> {
  const kind = options.kind ?? 0x10;
  const bursts = options.bursts ?? {};
  const via = options.via ?? 'audiosocket';
  const agent = options.agent ?? 'echo';
  let started: LoadService | undefined;
  if (!options.target) {
    const env = { ...(await ariSettings(options, parts)), ...options.serviceEnv };
    started = await startLoadService({
      agent,
      kind,
      vad: options.vad ?? false,
      bursts,
      setup: { env, ...(options.serviceRoot === undefined ? {} : { root: options.serviceRoot }) },
    });
    parts.service = started;
  }
  const service = started?.service;
  if (via === 'ari') {
    if (parts.child) await askCallers(parts.child, 'ari-ready');
    else await parts.inlineAri!.appConnected();
  }
  const host = options.target?.host ?? '127.0.0.1';
  const port = options.target?.port ?? service!.port;
  const serverPid = options.serverPid ?? service?.child.pid;
  const pinning = options.pinning ?? servicePinning();
  const placement = options.placement;
  if (placement && service && service.workerPids.length !== placement.workers.length)
    throw new Error(
      `placement names ${placement.workers.length} media workers, the service reported ${service.workerPids.length} (set MEDIA_WORKERS)`,
    );
  const pinned =
    (options.pin ?? true) &&
    CAN_PIN &&
    (placement && service
      ? placeService(service.child.pid!, service.workerPids, placement)
      : (service ? pinService(service.child.pid!, pinning) : true) && pin(process.pid, 0));
  const calls = options.calls ?? 100;
  const rampMs = 1000 * (options.rampS ?? calls / 50);
  const warmupMs = 1000 * (options.warmupS ?? (options.rate === undefined ? Math.max(3, 1 + rampMs / 1000) : 3));
  const makePlan = (now: number): CallerPlan => {
    const t0 = now + 200;
    const measureFrom = t0 + warmupMs;
    const measureTo = measureFrom + 1000 * options.seconds;
    return {
      via,
      host,
      port,
      kind,
      phases: options.phases ?? MAX_PHASES,
      calls: planCalls(options, t0, measureTo + 1500),
      measureFrom,
      measureTo,
      reportAt: measureTo + 1000,
      bursts,
    };
  };
  const rssBeforeMb = serverPid === undefined ? undefined : await processRssMb(serverPid);
  let plan: CallerPlan;
  let report: Promise<CallerReport>;
  if (parts.child) {
    const inChild = await startCallersInChild(parts.child, makePlan, pinned ? (placement?.generator ?? 0) : undefined);
    plan = inChild.plan;
    report = inChild.report;
  } else {
    plan = makePlan(epochNow());
    report = runCallers(plan, parts.inlineAri).then((r) => {
      parts.stop = r.stop;
      return r.report;
    });
  }
  const window = await measureWindow(plan, {
    service: service?.child,
    serverPid,
    pinned,
    httpPort: service?.httpPort,
    mainThreadAlone: pinning === 'main-thread',
    ...(placement && service
      ? { accounting: { placement, processes: accountedProcesses(service, placement, parts.child?.child.pid) } }
      : {}),
  });
  const r = await report;
  return buildLoadResult({
    options,
    host,
    port,
    kind,
    via,
    agent,
    selfStarted: service !== undefined,
    pinned,
    pinning,
    plan,
    callers: r,
    window,
    serverPid,
    rssBeforeMb,
    latencies: onsetLatencies(r, started?.agentOnsets ?? new Map(), plan, bursts.periodMs ?? 2000),
    realtime: started?.realtime ? realtimeStats(started.realtime) : undefined,
  });
}

/**
 * Pins every thread of the primary, of each media worker (by PID: forked children keep the affinity the primary had
 * when it forked them, which is not its pinned one) and of the generator's process to the cores of `placement`.
 * The callers' child is pinned to the generator's core when its plan is sent. False when any pinning failed.
 */
function placeService(primaryPid: number, workerPids: readonly number[], placement: Placement): boolean {
  let ok = pin(primaryPid, placement.primary);
  workerPids.forEach((pid, i) => {
    ok = pin(pid, placement.workers[i]!) && ok;
  });
  return pin(process.pid, placement.generator) && ok;
}

/** The processes whose CPU a placed run accounts for: the primary, each worker, and the generator's two halves. */
function accountedProcesses(
  service: { readonly child: { readonly pid?: number | undefined }; readonly workerPids: readonly number[] },
  placement: Placement,
  callersPid: number | undefined,
): ProcessRef[] {
  const out: ProcessRef[] = [{ name: 'primary', role: 'primary', pid: service.child.pid!, core: placement.primary }];
  for (const [i, pid] of service.workerPids.entries())
    out.push({ name: `worker ${i}`, role: 'worker', pid, core: placement.workers[i] });
  out.push({ name: 'generator: echo agent', role: 'generator', pid: process.pid, core: placement.generator });
  if (callersPid !== undefined)
    out.push({ name: 'generator: callers', role: 'generator', pid: callersPid, core: placement.generator });
  return out;
}
