/**
 * CPU accounting of a benchmark window across several processes and cores, as pure logic over /proc samples: where
 * each process of the service (the primary, each media worker) and of the generator is pinned, what each used
 * between two samples, how busy each core was and how much of that was none of the sampled processes. Also the
 * placement of the media-workers suite (which core each process gets) and its 2-worker/1-worker verdict. The I/O
 * (reading /proc) is `sampleCpu`; everything else is pure and tested (test/unit/bench-cpu-accounting.test.ts).
 */
import { readFile } from 'node:fs/promises';

/** Linux USER_HZ: the unit of the tick counts in /proc/<pid>/stat and /proc/stat. */
const USER_HZ = 100;

/** One process the window accounts for: a name for the tables, its PID and the core it is pinned to. */
export interface ProcessRef {
  readonly name: string;
  readonly role: 'primary' | 'worker' | 'generator';
  readonly pid: number;
  /** The core it is pinned to; undefined when not pinned. */
  readonly core: number | undefined;
}

/** A sample: CPU ms of each process (undefined when unreadable) and busy ms of each core, since boot. */
export interface CpuSample {
  readonly processes: ReadonlyArray<ProcessRef & { readonly cpuMs: number | undefined }>;
  readonly coreBusyMs: Readonly<Record<number, number>>;
}

/** User + system CPU of a process in ms from the text of /proc/<pid>/stat (fields 14 and 15); undefined if garbled. */
export function procStatCpuMs(text: string): number | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // After "pid (comm) ", fields[0] is the state (field 3): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || fields.length < 13) return undefined;
  return ((utime + stime) * 1000) / USER_HZ;
}

/**
 * Busy ms (everything but idle and iowait) of every `cpuN` line of the text of /proc/stat, keyed by N (the
 * aggregate `cpu` line is left out).
 */
export function procStatCoreBusyMs(text: string): Record<number, number> {
  const out: Record<number, number> = {};
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = m[2]!.trim().split(/\s+/).map(Number);
    out[Number(m[1])] = ((user + nice + system + irq + softirq + steal) * 1000) / USER_HZ;
  }
  return out;
}

/** Reads a sample of these processes and of every core from /proc (Linux); unreadable entries are undefined. */
export async function sampleCpu(processes: readonly ProcessRef[]): Promise<CpuSample> {
  const read = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);
  const stats = await Promise.all(processes.map((p) => read(`/proc/${p.pid}/stat`)));
  const cores = await read('/proc/stat');
  return {
    processes: processes.map((p, i) => ({ ...p, cpuMs: stats[i] === undefined ? undefined : procStatCpuMs(stats[i]) })),
    coreBusyMs: cores === undefined ? {} : procStatCoreBusyMs(cores),
  };
}

export interface ProcessCpu extends ProcessRef {
  readonly cpuMs: number;
  /** Of one core over the window, %. */
  readonly pctOfCore: number;
}

export interface CoreCpu {
  readonly core: number;
  /** Busy share of the core over the window, %. */
  readonly busyPct: number;
  /** What the sampled processes pinned to this core used of it, %. */
  readonly sampledPct: number;
  /** Busy time of the core none of the sampled processes pinned to it accounts for (other processes, IRQs), %. */
  readonly otherPct: number;
}

/** The CPU of one window between two samples. */
export interface WindowCpu {
  readonly windowS: number;
  /** Processes readable in both samples, in the order sampled. */
  readonly processes: readonly ProcessCpu[];
  readonly cores: readonly CoreCpu[];
  /** The service's processes (primary and workers), ms, and the primary's and the workers' shares of it, %. */
  readonly serviceCpuMs: number;
  readonly primaryPctOfService: number;
  readonly workersPctOfService: number;
  /** The service's CPU in cores: its CPU time over the window time. */
  readonly serviceCores: number;
}

const round = (x: number, digits = 1): number => +x.toFixed(digits);

/** What each process and core used between `a` and `b`, `windowS` seconds apart. */
export function cpuBetween(a: CpuSample, b: CpuSample, windowS: number): WindowCpu {
  if (!(windowS > 0)) throw new RangeError(`windowS must be positive, not ${windowS}`);
  const windowMs = 1000 * windowS;
  const processes: ProcessCpu[] = [];
  for (const p of b.processes) {
    const before = a.processes.find((x) => x.pid === p.pid && x.name === p.name)?.cpuMs;
    if (before === undefined || p.cpuMs === undefined) continue;
    const cpuMs = Math.max(0, p.cpuMs - before);
    processes.push({
      name: p.name,
      role: p.role,
      pid: p.pid,
      core: p.core,
      cpuMs,
      pctOfCore: round((100 * cpuMs) / windowMs),
    });
  }
  const cores: CoreCpu[] = [];
  for (const [key, busy1] of Object.entries(b.coreBusyMs)) {
    const core = Number(key);
    const busy0 = a.coreBusyMs[core];
    if (busy0 === undefined) continue;
    const busyMs = Math.max(0, busy1 - busy0);
    const sampledMs = processes.filter((p) => p.core === core).reduce((s, p) => s + p.cpuMs, 0);
    cores.push({
      core,
      busyPct: round((100 * busyMs) / windowMs),
      sampledPct: round((100 * sampledMs) / windowMs),
      otherPct: round(Math.max(0, (100 * (busyMs - sampledMs)) / windowMs)),
    });
  }
  const primaryMs = processes.filter((p) => p.role === 'primary').reduce((s, p) => s + p.cpuMs, 0);
  const workersMs = processes.filter((p) => p.role === 'worker').reduce((s, p) => s + p.cpuMs, 0);
  const serviceCpuMs = primaryMs + workersMs;
  const share = (x: number): number => (serviceCpuMs > 0 ? round((100 * x) / serviceCpuMs) : 0);
  return {
    windowS,
    processes,
    cores: cores.sort((x, y) => x.core - y.core),
    serviceCpuMs: round(serviceCpuMs),
    primaryPctOfService: share(primaryMs),
    workersPctOfService: share(workersMs),
    serviceCores: round(serviceCpuMs / windowMs, 2),
  };
}

/**
 * Busy share of the service's cores that none of the sampled processes accounts for, %: the largest over the cores
 * the generator does not run on (on the generator's core the generator's own load is expected). Undefined when
 * every service core is shared with the generator.
 */
export function otherLoadOnServiceCores(w: WindowCpu, placement: Placement): number | undefined {
  const serviceCores = new Set([placement.primary, ...placement.workers].filter((c) => c !== placement.generator));
  const others = w.cores.filter((c) => serviceCores.has(c.core)).map((c) => c.otherPct);
  return others.length > 0 ? Math.max(...others) : undefined;
}

/** Which core each process of a run is pinned to. */
export interface Placement {
  readonly generator: number;
  readonly primary: number;
  /** Core of worker i. */
  readonly workers: readonly number[];
}

/**
 * The media-workers suite's placement on a machine of `cores` cores: the generator (callers and echo agent) on core
 * 0, the primary on core 1 (where the whole service runs without workers), worker i on core 1 + i, wrapping round to
 * core 0 when the cores run out — so on 2 cores the second worker shares core 0 with the generator.
 */
export function placementFor(workers: number, cores: number): Placement {
  if (!Number.isInteger(workers) || workers < 0)
    throw new RangeError(`workers must be a whole number ≥ 0, not ${workers}`);
  if (!Number.isInteger(cores) || cores < 2) throw new RangeError(`placement needs at least 2 cores, not ${cores}`);
  return {
    generator: 0,
    primary: 1,
    workers: Array.from({ length: workers }, (_, i) => (1 + i) % cores),
  };
}

/** The placement in words, e.g. for the "how it ran" block. */
export function describePlacement(p: Placement): string {
  const parts = [
    `generator (callers, echo agent) on core ${p.generator}`,
    `primary on core ${p.primary}`,
    ...p.workers.map((c, i) => `worker ${i} on core ${c}`),
  ];
  const shared = [...new Set([p.primary, ...p.workers])].filter((c) => c === p.generator);
  const note = shared.length > 0 ? `; the service shares core ${p.generator} with the generator` : '';
  return `${parts.join(', ')}${note}`;
}

/** The target: 2 workers carry at least this many times the calls of 1 worker, at the same gap rule. */
export const SCALING_TARGET = 1.7;

export interface ScalingVerdict {
  /** max calls with 2 workers / with 1 worker; undefined when the 1-worker run passed no step. */
  readonly ratio: number | undefined;
  readonly target: number;
  readonly met: boolean;
}

export function scalingVerdict(oneWorker: number, twoWorkers: number, target = SCALING_TARGET): ScalingVerdict {
  if (!(oneWorker > 0)) return { ratio: undefined, target, met: false };
  const ratio = round(twoWorkers / oneWorker, 2);
  return { ratio, target, met: ratio >= target };
}
