/**
 * The series of the full-call benchmark (bench/suites/calls.ts) and the before/after comparison (bench/compare.ts):
 * which VAD setting, phase spread and service placement each runs, how the command lines name them, and the table
 * row of one measured step.
 */
import type { LoadResult } from '../loadgen/types.js';
import { MAX_PHASES } from '../loadgen/phased-clock.js';
import type { ServicePinning } from './service-process.js';
import type { StepVerdict } from './step-search.js';

export const SERIES_IDS = ['vad-off', 'vad-on', 'vad-off-aligned', 'vad-on-aligned', 'vad-on-split'] as const;
export type SeriesId = (typeof SERIES_IDS)[number];

export interface SeriesSpec {
  readonly id: SeriesId;
  readonly vad: boolean;
  /** Phases of the generator's clock: 20 (spread, as real channels) or 1 (aligned, the worst case). */
  readonly phases: number;
  readonly pinning: ServicePinning;
  /** What the series measures, for the tables. */
  readonly label: string;
}

export const SERIES: Readonly<Record<SeriesId, SeriesSpec>> = {
  'vad-off': {
    id: 'vad-off',
    vad: false,
    phases: MAX_PHASES,
    pinning: 'one-core',
    label: 'VAD off, calls spread over the period, whole service on one core',
  },
  'vad-on': {
    id: 'vad-on',
    vad: true,
    phases: MAX_PHASES,
    pinning: 'one-core',
    label: 'VAD on, calls spread, whole service on one core',
  },
  'vad-off-aligned': {
    id: 'vad-off-aligned',
    vad: false,
    phases: 1,
    pinning: 'one-core',
    label: 'VAD off, calls aligned (worst case), whole service on one core',
  },
  'vad-on-aligned': {
    id: 'vad-on-aligned',
    vad: true,
    phases: 1,
    pinning: 'one-core',
    label: 'VAD on, calls aligned (worst case), whole service on one core',
  },
  'vad-on-split': {
    id: 'vad-on-split',
    vad: true,
    phases: MAX_PHASES,
    pinning: 'main-thread',
    label: 'VAD on, calls spread, event loop on core 1, VAD worker and other threads on core 0',
  },
};

/** Parses a comma-separated list of series ids; throws naming the valid ones. */
export function parseSeries(list: string): SeriesSpec[] {
  const ids = list.split(',').map((x) => x.trim());
  for (const id of ids)
    if (!(SERIES_IDS as readonly string[]).includes(id))
      throw new Error(`unknown series "${id}" (series: ${SERIES_IDS.join(', ')})`);
  return [...new Set(ids)].map((id) => SERIES[id as SeriesId]);
}

/** Parses a comma-separated list of call counts (whole numbers ≥ 1); returns them ascending. */
export function parseSteps(list: string, name = '--steps'): number[] {
  const steps = list.split(',').map((x) => Number(x.trim()));
  if (steps.length === 0 || steps.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`${name} takes whole numbers ≥ 1, comma-separated, not "${list}"`);
  return [...new Set(steps)].sort((a, b) => a - b);
}

/** Parses a positive number of seconds. */
export function parseSeconds(value: string, name: string): number {
  const s = Number(value);
  if (!(s > 0) || !Number.isFinite(s)) throw new Error(`${name} takes a positive number of seconds, not "${value}"`);
  return s;
}

/** The figures of one step as a table shows them (and the JSON keeps next to the full result). */
export interface StepRow {
  readonly calls: number;
  readonly vad: boolean;
  readonly phases: number;
  readonly pinning: string;
  readonly cpuMsPerCallSecond: number | undefined;
  readonly pctOfCore: number | undefined;
  /** The event-loop thread alone, % of a core. */
  readonly mainThreadPctOfCore: number | undefined;
  readonly loopP99Ms: number | undefined;
  readonly loopMaxMs: number | undefined;
  readonly gcMs: number | undefined;
  readonly gcPctOfWindow: number | undefined;
  readonly gapsOver30Pct: number;
  readonly gapP99Ms: number;
  readonly lostPct: number;
  readonly uplinkP99Ms: number | undefined;
  readonly generator: string;
  readonly valid: boolean;
  readonly disturbed: boolean;
  readonly passed: boolean;
  readonly reasons: readonly string[];
}

export function stepRow(r: LoadResult, target: number, verdict: StepVerdict): StepRow {
  const s = r.server;
  const g = r.generator;
  return {
    calls: target,
    vad: r.vad ?? false,
    phases: r.phases,
    pinning: r.pinned ? (r.pinning ?? 'one-core') : 'not pinned',
    cpuMsPerCallSecond: s?.cpuMsPerCallSecond,
    pctOfCore: s?.cpuPctOfCore,
    mainThreadPctOfCore: s?.mainThreadPctOfCore,
    loopP99Ms: s?.eventLoopP99Ms,
    loopMaxMs: s?.eventLoopMaxMs,
    gcMs: s?.gc?.pauseMs,
    gcPctOfWindow: s?.gc?.pctOfWindow,
    gapsOver30Pct: +r.downlink.gaps.pctOver30Ms.toFixed(3),
    gapP99Ms: +r.downlink.gaps.p99Ms.toFixed(1),
    lostPct: r.downlink.lostPct,
    uplinkP99Ms: r.latency.uplink?.p99Ms,
    generator: `loop p99 ${g.loopDelayP99Ms} ms (agent ${g.agentLoopDelayP99Ms ?? '-'}), ${g.lateTicksPct} % ticks late, ${g.cpuMsPerCallSecond} + ${g.agentCpuMsPerCallSecond ?? '-'} ms/call-s`,
    valid: r.valid,
    disturbed: r.disturbance !== undefined,
    passed: verdict.passed,
    reasons: verdict.reasons,
  };
}

const dash = (x: number | undefined, suffix = ''): string => (x === undefined ? '-' : `${x}${suffix}`);

/** Header and separator of the step table; `lead` names extra leading columns (e.g. the service of a comparison). */
export function stepTableHeader(lead: readonly string[] = []): string[] {
  const cols = [
    ...lead,
    'calls',
    'VAD',
    'phases',
    'service CPU ms/call-s',
    '% of a core (event loop)',
    'loop p99 / max ms',
    'GC ms (% of window)',
    'gaps > 30 ms',
    'gap p99 ms',
    'lost frames',
    'uplink p99 ms',
    'generator',
    'valid',
    'gap rule',
  ];
  return [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`];
}

export function stepTableLine(x: StepRow, lead: readonly string[] = []): string {
  const cells = [
    ...lead,
    String(x.calls),
    x.vad ? 'on' : 'off',
    x.phases === 1 ? '1 (aligned)' : String(x.phases),
    dash(x.cpuMsPerCallSecond),
    `${dash(x.pctOfCore, ' %')} (${dash(x.mainThreadPctOfCore, ' %')})`,
    `${dash(x.loopP99Ms)} / ${dash(x.loopMaxMs)}`,
    x.gcMs === undefined ? '-' : `${x.gcMs} (${x.gcPctOfWindow} %)`,
    `${x.gapsOver30Pct.toFixed(2)} %`,
    x.gapP99Ms.toFixed(1),
    `${x.lostPct} %`,
    dash(x.uplinkP99Ms),
    x.generator,
    `${x.valid ? 'yes' : 'NO'}${x.disturbed ? ' (disturbed)' : ''}`,
    x.passed ? 'pass' : `fail: ${x.reasons.join('; ')}`,
  ];
  return `| ${cells.join(' | ')} |`;
}
