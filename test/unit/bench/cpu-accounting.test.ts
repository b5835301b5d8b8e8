import { describe, expect, it } from 'vitest';
import {
  type CpuSample,
  cpuBetween,
  describePlacement,
  otherLoadOnServiceCores,
  placementFor,
  procStatCoreBusyMs,
  procStatCpuMs,
  type ProcessRef,
  scalingVerdict,
} from '../../../bench/lib/cpu-accounting.js';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuProfileEnv, parseWorkerCounts } from '../../../bench/suites/media-workers.js';

/** A /proc/<pid>/stat line with these utime and stime ticks (a process name with spaces and parentheses). */
const pidStat = (pid: number, utime: number, stime: number): string =>
  `${pid} (node (tsx) x) S 1 ${pid} ${pid} 0 -1 4194304 100 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 1234 0 0\n`;

const PROCS: ProcessRef[] = [
  { name: 'primary', role: 'primary', pid: 10, core: 1 },
  { name: 'worker 0', role: 'worker', pid: 11, core: 1 },
  { name: 'worker 1', role: 'worker', pid: 12, core: 0 },
  { name: 'generator: callers', role: 'generator', pid: 13, core: 0 },
];

function sample(cpuMs: readonly (number | undefined)[], busy: Record<number, number>): CpuSample {
  return { processes: PROCS.map((p, i) => ({ ...p, cpuMs: cpuMs[i] })), coreBusyMs: busy };
}

describe('CPU accounting from /proc samples', () => {
  it('reads utime + stime of a process (ticks of 10 ms), whatever its name holds', () => {
    expect(procStatCpuMs(pidStat(42, 250, 50))).toBe(3000);
    expect(procStatCpuMs('garbage')).toBeUndefined();
    expect(procStatCpuMs('42 (node) S 1 2')).toBeUndefined();
  });

  it('reads each core’s busy time from /proc/stat, idle and iowait left out, the aggregate line skipped', () => {
    const text = [
      'cpu  900 0 300 5000 100 0 0 0 0 0',
      'cpu0 100 10 50 2000 40 5 5 0 0 0',
      'cpu1 800 0 250 3000 60 0 0 20 0 0',
      'intr 12345',
    ].join('\n');
    expect(procStatCoreBusyMs(text)).toEqual({ 0: 1700, 1: 10700 });
  });

  it('splits a window into processes and cores: the primary’s share, other load per core', () => {
    const a = sample([1000, 2000, 3000, 4000], { 0: 10_000, 1: 20_000 });
    const b = sample([1500, 8000, 9000, 7000], { 0: 19_000, 1: 27_000 });
    const w = cpuBetween(a, b, 10);
    expect(w.processes.map((p) => [p.name, p.cpuMs, p.pctOfCore])).toEqual([
      ['primary', 500, 5],
      ['worker 0', 6000, 60],
      ['worker 1', 6000, 60],
      ['generator: callers', 3000, 30],
    ]);
    // Service: 500 + 6000 + 6000 ms = 1.25 cores; the primary 4 % of it.
    expect(w.serviceCpuMs).toBe(12_500);
    expect(w.serviceCores).toBe(1.25);
    expect(w.primaryPctOfService).toBe(4);
    expect(w.workersPctOfService).toBe(96);
    // Core 0: busy 9000 ms, all of it the sampled processes; core 1: busy 7000, 6500 sampled.
    expect(w.cores).toEqual([
      { core: 0, busyPct: 90, sampledPct: 90, otherPct: 0 },
      { core: 1, busyPct: 70, sampledPct: 65, otherPct: 5 },
    ]);
  });

  it('leaves out a process unreadable at either end (it exited), and counts nothing negative', () => {
    const a = sample([1000, undefined, 3000, 4000], { 0: 0, 1: 0 });
    const b = sample([900, 5000, 3500, undefined], { 0: 1000, 1: 100 });
    const w = cpuBetween(a, b, 1);
    expect(w.processes.map((p) => [p.name, p.cpuMs])).toEqual([
      ['primary', 0],
      ['worker 1', 500],
    ]);
    expect(w.primaryPctOfService).toBe(0);
    expect(w.workersPctOfService).toBe(100);
    expect(() => cpuBetween(a, b, 0)).toThrow(RangeError);
  });

  it('judges other load only on the service’s cores the generator does not use', () => {
    const a = sample([0, 0, 0, 0], { 0: 0, 1: 0 });
    const b = sample([100, 500, 500, 3000], { 0: 9000, 1: 900 });
    const w = cpuBetween(a, b, 10);
    // Core 1: 9 % busy, primary + worker 0 6 %: 3 % other. Core 0 (the generator's) is not judged.
    expect(otherLoadOnServiceCores(w, placementFor(2, 2))).toBe(3);
    expect(otherLoadOnServiceCores(w, { generator: 0, primary: 0, workers: [0] })).toBeUndefined();
  });
});

describe('media-workers placement and verdict', () => {
  it('puts the generator on core 0, the primary on core 1 and worker i on core 1 + i, wrapping to core 0', () => {
    expect(placementFor(0, 2)).toEqual({ generator: 0, primary: 1, workers: [] });
    expect(placementFor(1, 2)).toEqual({ generator: 0, primary: 1, workers: [1] });
    expect(placementFor(2, 2)).toEqual({ generator: 0, primary: 1, workers: [1, 0] });
    expect(placementFor(2, 4)).toEqual({ generator: 0, primary: 1, workers: [1, 2] });
    expect(() => placementFor(1, 1)).toThrow(RangeError);
    expect(() => placementFor(-1, 2)).toThrow(RangeError);
  });

  it('says plainly when the service shares the generator’s core', () => {
    expect(describePlacement(placementFor(2, 2))).toBe(
      'generator (callers, echo agent) on core 0, primary on core 1, worker 0 on core 1, worker 1 on core 0; the service shares core 0 with the generator',
    );
    expect(describePlacement(placementFor(1, 2))).not.toContain('shares');
  });

  it('compares 2 workers with 1 against the 1.7× target', () => {
    expect(scalingVerdict(100, 170)).toEqual({ ratio: 1.7, target: 1.7, met: true });
    expect(scalingVerdict(150, 200)).toEqual({ ratio: 1.33, target: 1.7, met: false });
    expect(scalingVerdict(0, 100)).toEqual({ ratio: undefined, target: 1.7, met: false });
  });

  it('parses worker counts in the order given', () => {
    expect(parseWorkerCounts('0,2,1,2')).toEqual([0, 2, 1]);
    expect(() => parseWorkerCounts('1,x', '--workers-counts')).toThrow(/--workers-counts takes whole numbers/);
    expect(() => parseWorkerCounts('-1')).toThrow();
  });
});

describe('media-workers CPU profiles', () => {
  it('preloads the profiler module through NODE_OPTIONS (which forked workers inherit), into an absolute directory', () => {
    const env = cpuProfileEnv('prof');
    const m = /^--import=(file:\/\/\S+)$/.exec(env.NODE_OPTIONS ?? '');
    expect(m).not.toBeNull();
    expect(existsSync(fileURLToPath(m![1]!))).toBe(true);
    expect(isAbsolute(env.BENCH_CPU_PROF_DIR ?? '')).toBe(true);
  });
});
