/**
 * What the generator measures itself over the window: the service's CPU, RSS and event-loop delay, other load on the
 * service's core, the agent side's own loop delay and CPU; the latencies matched from tone-burst onsets; and whether
 * the run is valid (the generator kept up) or disturbed (something else used the service's core).
 */
import type { ChildProcess } from 'node:child_process';
import { nextMessage } from '../lib/child-messages.js';
import {
  cpuBetween,
  otherLoadOnServiceCores,
  type Placement,
  type ProcessRef,
  sampleCpu,
  type WindowCpu,
} from '../lib/cpu-accounting.js';
import { gcBetween, readServiceGc } from '../lib/service-metrics.js';
import { coreBusyMs, percentile, processCpuMs, processRssMb, startLoopDelay } from '../lib/stats.js';
import { matchOnsets } from '../lib/tone-onsets.js';
import type { CallerPlan, CallerReport } from './callers.js';
import { type LatencyStats, sleepUntil } from './types.js';

/** Pinned runs: the self-started service runs on this core, the generator on core 0. */
export const SERVICE_CORE = 1;
/** A pinned run is disturbed when anything else kept the service's core busier than this, % of the core. */
const MAX_OTHER_LOAD_PCT = 20;

/** p50/p99/max of latencies (ms), rounded to 0.1 ms; NaN figures when empty. */
export function latencyStats(values: number[]): LatencyStats {
  const sorted = Float64Array.from(values).sort();
  const round = (x: number): number => +x.toFixed(1);
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** Asks the self-started service for its stats (event-loop delay since the last reset). */
function serviceStats(
  child: ChildProcess,
  reset: boolean,
): Promise<{ eventLoopP99Ms: number; eventLoopMaxMs: number }> {
  type Stats = { type: 'stats'; eventLoopP99Ms: number; eventLoopMaxMs: number };
  const reply = nextMessage<Stats, 'stats'>(child, 'stats', 10_000);
  // With a callback a closed channel is an error here, not an unhandled 'error' event; `reply` rejects on the exit.
  child.send({ type: 'stats', reset }, (err) => {
    if (err) child.kill();
  });
  return reply;
}

/** The generator's own figures of one window (the callers report theirs). */
export interface WindowMeasurement {
  /** The server's CPU time in the window, ms (its PID known, /proc readable). */
  readonly serverCpuMs: number | undefined;
  /** The self-started service's main (event-loop) thread's CPU time in the window, ms. */
  readonly mainThreadCpuMs: number | undefined;
  /** The server's RSS at the end of the window, MB. */
  readonly serverRssMb: number | undefined;
  /** The self-started service's own event-loop delay over the window. */
  readonly serviceLoop: { eventLoopP99Ms: number; eventLoopMaxMs: number } | undefined;
  /** Busy time of the service's core not spent by the service, % of the core (pinned, self-started runs). */
  readonly otherLoadPct: number | undefined;
  /** This process's event-loop delay p99 (the agent side; self-started service only). */
  readonly agentLoopP99Ms: number | undefined;
  /** This process's CPU time in the window, ms. */
  readonly ownCpuMs: number;
  /** The self-started service's GC pauses in the window (read from its /metrics). */
  readonly serviceGc: ReturnType<typeof gcBetween> | undefined;
  /** With `accounting`: each process's and each core's CPU in the window. */
  readonly processCpu: WindowCpu | undefined;
}

/** Waits for the window of `plan` and measures over it (`service`: the self-started service's process). */
export async function measureWindow(
  plan: CallerPlan,
  opts: {
    readonly service: ChildProcess | undefined;
    readonly serverPid: number | undefined;
    readonly pinned: boolean;
    /** The self-started service's HTTP port (its /metrics). */
    readonly httpPort?: number | undefined;
    /**
     * The service's event loop alone on its core (`main-thread` pinning): other load on that core is its busy time
     * less the main thread's CPU, not the whole service's.
     */
    readonly mainThreadAlone?: boolean;
    /**
     * A service placed process by process (media workers): these processes are sampled at both ends of the window,
     * and other load is judged on the service's cores the generator does not use.
     */
    readonly accounting?: { readonly processes: readonly ProcessRef[]; readonly placement: Placement };
  },
): Promise<WindowMeasurement> {
  const { service, serverPid, httpPort } = opts;
  await sleepUntil(plan.measureFrom);
  const loop = startLoopDelay();
  const ownCpu0 = process.cpuUsage();
  if (service) await serviceStats(service, true);
  const gc0 = httpPort === undefined ? undefined : await readServiceGc(httpPort);
  const cpu0 = serverPid === undefined ? undefined : await processCpuMs(serverPid);
  const main0 = service?.pid === undefined ? undefined : await processCpuMs(service.pid, service.pid);
  // The service's core is ours only if nothing else runs there: measure what else did (pinned runs).
  const core0 = service && opts.pinned && !opts.accounting ? await coreBusyMs(SERVICE_CORE) : undefined;
  const sample0 = opts.accounting ? await sampleCpu(opts.accounting.processes) : undefined;
  await sleepUntil(plan.measureTo);
  const sample1 = opts.accounting ? await sampleCpu(opts.accounting.processes) : undefined;
  const cpu1 = serverPid === undefined ? undefined : await processCpuMs(serverPid);
  const main1 = service?.pid === undefined ? undefined : await processCpuMs(service.pid, service.pid);
  const core1 = core0 === undefined ? undefined : await coreBusyMs(SERVICE_CORE);
  const rss = serverPid === undefined ? undefined : await processRssMb(serverPid);
  const serviceLoop = service ? await serviceStats(service, false) : undefined;
  const gc1 = gc0 === undefined || httpPort === undefined ? undefined : await readServiceGc(httpPort);
  const agentLoop = service ? loop.read().p99Ms : undefined;
  const ownCpu = process.cpuUsage(ownCpu0);
  loop.stop();
  const windowS = (plan.measureTo - plan.measureFrom) / 1000;
  const cpuMs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
  const mainThreadCpuMs = main0 !== undefined && main1 !== undefined ? main1 - main0 : undefined;
  const onCoreMs = opts.mainThreadAlone ? mainThreadCpuMs : cpuMs;
  const processCpu = sample0 && sample1 ? cpuBetween(sample0, sample1, windowS) : undefined;
  const otherLoadPct =
    processCpu && opts.accounting && opts.pinned
      ? otherLoadOnServiceCores(processCpu, opts.accounting.placement)
      : core0 !== undefined && core1 !== undefined && onCoreMs !== undefined
        ? Math.max(0, (100 * (core1 - core0 - onCoreMs)) / (1000 * windowS))
        : undefined;
  return {
    serverCpuMs: cpuMs,
    mainThreadCpuMs,
    serverRssMb: rss,
    serviceLoop,
    otherLoadPct,
    agentLoopP99Ms: agentLoop,
    ownCpuMs: (ownCpu.user + ownCpu.system) / 1000,
    serviceGc: gc0 && gc1 ? gcBetween(gc0, gc1, windowS) : undefined,
    processCpu,
  };
}

/**
 * Latencies from the tone-burst onsets (each within one burst period): round trip (sent → seen back at the caller),
 * and with the agent's onsets uplink (sent → at the agent) and downlink (at the agent, in the window → at the caller).
 */
export function onsetLatencies(
  report: CallerReport,
  agentOnsets: ReadonlyMap<string, readonly number[]>,
  plan: CallerPlan,
  periodMs: number,
): { roundTrip: number[]; uplink: number[]; downlink: number[] } {
  const roundTrip: number[] = [];
  const uplink: number[] = [];
  const downlink: number[] = [];
  for (const c of report.onsets) {
    roundTrip.push(...matchOnsets(c.sent, c.seen, periodMs));
    const atAgent = agentOnsets.get(c.uuid);
    if (!atAgent) continue;
    uplink.push(...matchOnsets(c.sent, atAgent, periodMs));
    const agentInWindow = atAgent.filter((t) => t >= plan.measureFrom && t <= plan.measureTo);
    downlink.push(...matchOnsets(agentInWindow, c.seen, periodMs));
  }
  return { roundTrip, uplink, downlink };
}

/** Why the run is invalid (the generator fell behind, or calls failed); empty when valid. */
export function invalidReasons(report: CallerReport, agentLoopP99Ms: number | undefined): string[] {
  const reasons: string[] = [];
  if (report.loopDelayP99Ms > 10)
    reasons.push(`callers' event-loop delay p99 ${report.loopDelayP99Ms.toFixed(1)} ms > 10 ms`);
  if (report.lateTicksPct > 1) reasons.push(`${report.lateTicksPct.toFixed(2)} % of callers' clock ticks late > 1 %`);
  if (agentLoopP99Ms !== undefined && agentLoopP99Ms > 10)
    reasons.push(`echo agent's event-loop delay p99 ${agentLoopP99Ms.toFixed(1)} ms > 10 ms`);
  if (report.failedDials > 0) reasons.push(`${report.failedDials} calls failed to connect`);
  return reasons;
}

/** Set when something else kept the service's core busy: a good result still holds, a bad one may not be ours. */
export function disturbance(otherLoadPct: number | undefined): string | undefined {
  return otherLoadPct !== undefined && otherLoadPct > MAX_OTHER_LOAD_PCT
    ? `other load on the service's core ${otherLoadPct.toFixed(0)} % > ${MAX_OTHER_LOAD_PCT} %`
    : undefined;
}
