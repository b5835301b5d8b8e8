/** The load generator's result: the figures of a run gathered into a `LoadResult`, and its text table. */
import type { AudioKind } from '../../src/protocols/audiosocket/kinds.js';
import { percentile } from '../lib/stats.js';
import type { ServicePinning } from '../lib/service-process.js';
import type { CallerPlan, CallerReport } from './callers.js';
import { disturbance, invalidReasons, latencyStats, type WindowMeasurement } from './measurement.js';
import type { LatencyStats, LoadAgent, LoadOptions, LoadResult } from './types.js';

/** Everything a run measured, and how it was set up. */
export interface RunFigures {
  readonly options: LoadOptions;
  readonly host: string;
  readonly port: number;
  readonly kind: AudioKind;
  readonly via: 'audiosocket' | 'ari';
  readonly agent: LoadAgent;
  /** The service was started here (not a `target`). */
  readonly selfStarted: boolean;
  readonly pinned: boolean;
  readonly pinning: ServicePinning;
  readonly plan: CallerPlan;
  readonly callers: CallerReport;
  readonly window: WindowMeasurement;
  readonly serverPid: number | undefined;
  /** The server's RSS before the calls, MB. */
  readonly rssBeforeMb: number | undefined;
  readonly latencies: { readonly roundTrip: number[]; readonly uplink: number[]; readonly downlink: number[] };
  readonly realtime: LoadResult['realtime'] | undefined;
}

/** The figures of a run as its `LoadResult` (rounded; validity and disturbance judged here). */
export function buildLoadResult(f: RunFigures): LoadResult {
  const { options, host, port, via, plan, window: m } = f;
  const r = f.callers;
  const calls = options.calls ?? 100;
  const windowS = (plan.measureTo - plan.measureFrom) / 1000;
  const avgConcurrent = r.callSeconds / windowS;
  const reasons = invalidReasons(r, m.agentLoopP99Ms);
  const disturbed = disturbance(m.otherLoadPct);
  const cpuMs = m.serverCpuMs;
  const rss = m.serverRssMb;
  const serverPid = f.serverPid;
  const fps = Float64Array.from(r.fps).sort();
  const round = (x: number, d = 2): number => +x.toFixed(d);
  return {
    target: options.target
      ? `${host}:${port}`
      : `self-started service (VAD ${options.vad ? 'on' : 'off'}, ${f.agent} agent${via === 'ari' ? ', calls via ARI from a simulated Asterisk' : ''})`,
    mode:
      options.rate === undefined
        ? `${calls} concurrent calls${options.durationS === undefined ? '' : `, ${options.durationS} s each (±${100 * (options.jitter ?? 0.2)} %), redialled`}`
        : `${options.rate} calls/s, ${options.durationS ?? 30} s each (±${100 * (options.jitter ?? 0.2)} %)`,
    kind: f.kind,
    vad: f.selfStarted ? (options.vad ?? false) : undefined,
    seconds: windowS,
    callers: options.inline ? 'inline' : 'child process',
    pinned: f.pinned,
    ...(f.pinned && f.selfStarted ? { pinning: f.pinning } : {}),
    phases: plan.phases,
    calls: {
      dialed: r.dialed,
      failedDials: r.failedDials,
      avgConcurrent: round(avgConcurrent, 1),
      closedByServer: r.closedByServer,
    },
    downlink: {
      fpsPerCallP50: round(percentile(fps, 0.5)),
      fpsPerCallMin: round(fps[0] ?? Number.NaN),
      gaps: r.gaps,
      framesReceived: r.framesReceived,
      audibleFrames: r.audibleFrames,
      framesExpected: r.framesExpected,
      lostFrames: r.lostFrames,
      lostPct: round(r.framesExpected > 0 ? (100 * r.lostFrames) / r.framesExpected : Number.NaN, 3),
      duplicateFrames: r.duplicateFrames,
    },
    latency: {
      roundTrip: latencyStats(f.latencies.roundTrip),
      ...(f.selfStarted && f.agent !== 'realtime'
        ? { uplink: latencyStats(f.latencies.uplink), downlink: latencyStats(f.latencies.downlink) }
        : {}),
    },
    ...(serverPid !== undefined && cpuMs !== undefined && rss !== undefined
      ? {
          server: {
            pid: serverPid,
            cpuMsPerCallSecond: round(cpuMs / r.callSeconds, 3),
            cpuPctOfCore: round((100 * cpuMs) / (1000 * windowS), 1),
            ...(m.mainThreadCpuMs === undefined
              ? {}
              : { mainThreadPctOfCore: round((100 * m.mainThreadCpuMs) / (1000 * windowS), 1) }),
            rssMb: round(rss, 1),
            rssMbPerCall: round((rss - (f.rssBeforeMb ?? rss)) / Math.max(1, avgConcurrent), 3),
            ...(m.otherLoadPct === undefined ? {} : { otherLoadOnCorePct: round(m.otherLoadPct, 1) }),
            ...(m.serviceLoop
              ? {
                  eventLoopP99Ms: round(m.serviceLoop.eventLoopP99Ms),
                  eventLoopMaxMs: round(m.serviceLoop.eventLoopMaxMs),
                }
              : {}),
            ...(m.serviceGc ? { gc: m.serviceGc } : {}),
          },
        }
      : {}),
    generator: {
      loopDelayP99Ms: round(r.loopDelayP99Ms),
      tickLatenessP99Ms: round(r.tickLatenessP99Ms),
      lateTicksPct: round(r.lateTicksPct, 3),
      cpuMsPerCallSecond: round(r.cpuMs / r.callSeconds, 3),
      ...(m.agentLoopP99Ms === undefined
        ? {}
        : {
            agentLoopDelayP99Ms: round(m.agentLoopP99Ms),
            agentCpuMsPerCallSecond: round(m.ownCpuMs / r.callSeconds, 3),
          }),
    },
    ...(f.realtime ? { realtime: f.realtime } : {}),
    ...(m.processCpu && options.placement ? { processCpu: { ...m.processCpu, placement: options.placement } } : {}),
    valid: reasons.length === 0,
    invalidReasons: reasons,
    ...(disturbed ? { disturbance: disturbed } : {}),
  };
}

const fmt = (s: LatencyStats | undefined): string =>
  s && s.count > 0 ? `p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms (${s.count} bursts)` : 'n/a';

/** The figures as a two-column table. */
export function formatLoad(r: LoadResult): string {
  const g = r.downlink.gaps;
  const rows: Array<[string, string]> = [
    ['target', r.target],
    [
      'load',
      `${r.mode}; kind 0x${r.kind.toString(16)}; ${r.phases === 1 ? 'all calls aligned in one phase' : `calls spread over ${r.phases} phases of the 20 ms period`}; callers in ${r.callers}${r.pinned ? `; pinned${r.pinning ? ` (service: ${r.pinning})` : ''}` : ''}`,
    ],
    ['window', `${r.seconds} s; ${r.calls.avgConcurrent} calls up on average, ${r.calls.dialed} dialled`],
    ['failed dials / closed by server', `${r.calls.failedDials} / ${r.calls.closedByServer}`],
    ['downlink frames/s per call', `p50 ${r.downlink.fpsPerCallP50}, min ${r.downlink.fpsPerCallMin}`],
    ['frame gaps', `p50 ${g.p50Ms.toFixed(1)} ms, p99 ${g.p99Ms.toFixed(1)} ms, max ${g.maxMs.toFixed(1)} ms`],
    ['gaps > 30 ms', `${g.pctOver30Ms.toFixed(3)} %`],
    [
      'lost frames',
      `${r.downlink.lostFrames} of ${r.downlink.framesExpected} expected (${r.downlink.lostPct} %); received ${r.downlink.framesReceived}, ${r.downlink.audibleFrames} not silent`,
    ],
    ['duplicated frames', String(r.downlink.duplicateFrames)],
    ['round trip (echo) latency', fmt(r.latency.roundTrip)],
  ];
  if (r.latency.uplink) rows.push(['uplink latency (caller → agent)', fmt(r.latency.uplink)]);
  if (r.latency.downlink) rows.push(['downlink latency (agent → caller)', fmt(r.latency.downlink)]);
  if (r.realtime)
    rows.push([
      'Realtime model (whole run)',
      `${r.realtime.sessions} sessions, ${r.realtime.responses} answers, ${r.realtime.audioDeltas} audio deltas`,
    ]);
  if (r.server) {
    const s = r.server;
    rows.push(
      [
        'server CPU',
        `${s.cpuMsPerCallSecond} ms per call-second, ${s.cpuPctOfCore} % of a core${s.mainThreadPctOfCore === undefined ? '' : `, its event-loop thread ${s.mainThreadPctOfCore} %`}${s.otherLoadOnCorePct === undefined ? '' : ` (other load on its core: ${s.otherLoadOnCorePct} %)`}`,
      ],
      ['server RSS', `${s.rssMb} MB, ${s.rssMbPerCall} MB per call`],
    );
    if (s.eventLoopP99Ms !== undefined)
      rows.push(['server event-loop delay', `p99 ${s.eventLoopP99Ms} ms, max ${s.eventLoopMaxMs} ms`]);
    if (s.gc)
      rows.push([
        'server GC pauses',
        `${s.gc.pauseMs} ms in ${s.gc.pauses} pauses, ${s.gc.pctOfWindow} % of the window`,
      ]);
  }
  const gen = r.generator;
  rows.push([
    'generator',
    `loop delay p99 ${gen.loopDelayP99Ms} ms${gen.agentLoopDelayP99Ms === undefined ? '' : ` (agent ${gen.agentLoopDelayP99Ms} ms)`}, tick lateness p99 ${gen.tickLatenessP99Ms} ms, ${gen.lateTicksPct} % ticks late, CPU ${gen.cpuMsPerCallSecond} ms per call-second${gen.agentCpuMsPerCallSecond === undefined ? '' : ` (agent ${gen.agentCpuMsPerCallSecond} ms)`}`,
  ]);
  rows.push(['valid', r.valid ? 'yes' : `INVALID: ${r.invalidReasons.join('; ')}`]);
  if (r.disturbance) rows.push(['disturbed', r.disturbance]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
