import { cpus } from 'node:os';
/** Statistics shared by the benchmark suites. */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface GapStats {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Share of gaps longer than 30 ms, percent. */
  readonly pctOver30Ms: number;
}

/**
 * The p-quantile (0..1) of an ascending-sorted array: the value at index floor(p·n), clamped to the last (the
 * "upper" nearest rank: the p50 of an even count is the upper of the two middle values). NaN when empty. The one
 * definition behind every percentile the benchmarks publish (docs/benchmarks.md, "Percentiles").
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Distribution of inter-frame gaps (ms). */
export function gapStats(gaps: ArrayLike<number>): GapStats {
  const sorted = Float64Array.from(gaps).sort();
  let over = 0;
  for (const g of sorted) if (g > 30) over += 1;
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    pctOver30Ms: sorted.length > 0 ? (100 * over) / sorted.length : Number.NaN,
  };
}

/**
 * CPU time (user + system) of a process in ms, from /proc (Linux); undefined elsewhere. With `tid`, of that thread
 * of it alone (its main thread's TID is its PID).
 */
export async function processCpuMs(pid: number, tid?: number): Promise<number | undefined> {
  try {
    const { readFile } = await import('node:fs/promises');
    const stat = await readFile(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in MB, from /proc (Linux). */
export async function processRssMb(pid: number): Promise<number | undefined> {
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const LOOP_RESOLUTION_MS = 5;

/**
 * Starts measuring event-loop delay: how late a repeating 5 ms timer fires. (`monitorEventLoopDelay`'s raw values
 * are whole intervals, resolution included — an idle loop reads ~5 ms — so the resolution is subtracted.)
 */
export function startLoopDelay(): { read(): { p99Ms: number; maxMs: number }; stop(): void } {
  const h = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  h.enable();
  const late = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
  return {
    read: () => ({ p99Ms: late(h.percentile(99)), maxMs: late(h.max) }),
    stop: () => h.disable(),
  };
}

/** Busy time (everything but idle and iowait) of one core since boot in ms, from /proc/stat; undefined elsewhere. */
export async function coreBusyMs(core: number): Promise<number | undefined> {
  try {
    const { readFile } = await import('node:fs/promises');
    const line = (await readFile('/proc/stat', 'utf8')).split('\n').find((l) => l.startsWith(`cpu${core} `));
    if (!line) return undefined;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** The machine fields every benchmark result carries: Node, CPU model, cores, and the load average at its start. */
export interface MachineInfo {
  readonly node: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly loadAverageAtStart: readonly number[];
}

export function machineInfo(loadAverageAtStart: readonly number[]): MachineInfo {
  return { node: process.version, cpuModel: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAverageAtStart };
}

/** A figure for a text table: `digits` decimals, or `n/a` when it is not a finite number. */
export function fixedOrNa(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}
