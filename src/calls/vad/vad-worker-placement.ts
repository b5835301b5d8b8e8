import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Where the VAD inference thread runs and how it yields: its CPUs (affinity) and its scheduling priority, so that
 * inference never delays the event loop that paces the calls' audio.
 *
 * Node has no API for a thread's affinity or policy, so the thread finds its own Linux thread id
 * (`/proc/thread-self`) and applies them with util-linux's `taskset -p` and `chrt -p` (for one thread id they change
 * that thread alone), and `os.setPriority(tid)` for a nice value. Threads it starts later (onnxruntime's) inherit
 * both. Where something cannot apply (not Linux, tools missing, a CPU outside the container's set) the thread
 * runs as before and the outcome says why.
 */

/** `auto`: the last CPU the process may use, when it may use two or more; `off`: unchanged; else a CPU list. */
export type VadWorkerCpus = 'auto' | 'off' | string;
/** `idle`: SCHED_IDLE (runs only when nothing else wants the CPU; nice 19 if that cannot be set); a number: nice. */
export type VadWorkerPriority = 'idle' | 'normal' | number;

export interface VadWorkerPlacementSettings {
  readonly cpus: VadWorkerCpus;
  readonly priority: VadWorkerPriority;
}

/** What a thread achieved; `notes` say what could not be applied and why. */
export interface ThreadPlacementOutcome {
  readonly tid: number | undefined;
  /** The thread's CPU list afterwards as the kernel reports it, when known. */
  readonly cpus: string | undefined;
  /** `idle`, `nice <n>` or `normal`: what is in force afterwards. */
  readonly priority: string;
  readonly notes: readonly string[];
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** Parses a Linux CPU list (`1`, `0-3`, `0,2-3`); undefined when malformed or a range runs backwards. */
export function parseCpuList(text: string): number[] | undefined {
  const t = text.trim();
  if (!CPU_LIST.test(t)) return undefined;
  const cpus = new Set<number>();
  for (const part of t.split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    const end = b ?? a;
    if (end < a || end > 4095) return undefined;
    for (let c = a; c <= end; c++) cpus.add(c);
  }
  return [...cpus].sort((x, y) => x - y);
}

export function formatCpuList(cpus: readonly number[]): string {
  return cpus.join(',');
}

/** Checks a `VAD_WORKER_CPUS` value; returns an error message, or undefined when valid. */
export function cpuSettingError(value: string): string | undefined {
  if (value === 'auto' || value === 'off') return undefined;
  return parseCpuList(value) ? undefined : `must be auto, off or a CPU list such as 1 or 2-3, got "${value}"`;
}

/** Checks a `VAD_WORKER_PRIORITY` value; returns the setting or an error message. */
export function parsePrioritySetting(value: string): VadWorkerPriority | { error: string } {
  if (value === 'idle' || value === 'normal') return value;
  if (/^\d{1,2}$/.test(value) && Number(value) <= 19) return Number(value);
  return { error: `must be idle, normal or a nice value 0…19, got "${value}"` };
}

/** The calling thread's Linux thread id, or undefined where `/proc/thread-self` does not exist. */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** The CPUs a thread (or the process, by default) may run on, from `/proc`; undefined where unknown. */
export function allowedCpus(tid?: number): number[] | undefined {
  try {
    const path = tid === undefined ? '/proc/self/status' : `/proc/self/task/${tid}/status`;
    const line = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(path, 'utf8'));
    return line?.[1] === undefined ? undefined : parseCpuList(line[1]);
  } catch {
    return undefined;
  }
}

/** Where the VAD thread and the event loop go, decided from the setting and the CPUs the process may use. */
export interface PlacementPlan {
  /** CPUs for the VAD thread; undefined leaves its affinity alone. */
  readonly workerCpus: number[] | undefined;
  /** CPUs for the event-loop thread (the worker's CPUs taken out); undefined leaves it alone. */
  readonly loopCpus: number[] | undefined;
  readonly notes: readonly string[];
}

/**
 * `auto` gives the VAD thread the last of the `allowed` CPUs and keeps the event loop on the others; with one CPU
 * (or unknown CPUs) nothing moves and the priority alone protects the event loop. An explicit list pins the VAD
 * thread there and takes those CPUs from the event loop unless that would leave it none.
 */
export function planPlacement(cpus: VadWorkerCpus, allowed: readonly number[] | undefined): PlacementPlan {
  if (cpus === 'off') return { workerCpus: undefined, loopCpus: undefined, notes: [] };
  let workerCpus: number[] | undefined;
  if (cpus === 'auto') {
    if (!allowed || allowed.length < 2) {
      const why = allowed ? 'the process may use one CPU' : 'the CPUs the process may use are unknown';
      return {
        workerCpus: undefined,
        loopCpus: undefined,
        notes: [`VAD worker not pinned: ${why}; it shares the event loop's CPU at its own priority`],
      };
    }
    workerCpus = [allowed[allowed.length - 1] as number];
  } else {
    workerCpus = parseCpuList(cpus);
    if (!workerCpus) throw new Error(`VAD worker CPUs ${cpuSettingError(cpus)}`);
  }
  if (!allowed) {
    return { workerCpus, loopCpus: undefined, notes: ["event loop's CPUs unknown: left as they are"] };
  }
  const rest = allowed.filter((c) => !workerCpus.includes(c));
  if (rest.length === allowed.length) return { workerCpus, loopCpus: undefined, notes: [] };
  if (rest.length === 0) {
    return {
      workerCpus,
      loopCpus: undefined,
      notes: [`VAD worker CPUs ${formatCpuList(workerCpus)} cover every CPU of the event loop: it stays there too`],
    };
  }
  return { workerCpus, loopCpus: rest, notes: [] };
}

function run(tool: string, args: string[]): string | undefined {
  const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 5_000 });
  if (r.error) return `${tool} unavailable (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  if (r.status !== 0) return `${tool} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`;
  return undefined;
}

/** Pins thread `tid` to `cpus` with `taskset -p`; returns why it failed, or undefined. */
export function pinThread(tid: number, cpus: readonly number[]): string | undefined {
  return run('taskset', ['-p', '-c', formatCpuList(cpus), String(tid)]);
}

/**
 * Applies `settings` to the calling thread (the VAD worker, before it loads the model): affinity `cpus` (already
 * planned: a list, or undefined to leave it) and the priority.
 */
export function placeThisThread(
  cpus: readonly number[] | undefined,
  priority: VadWorkerPriority,
): ThreadPlacementOutcome {
  const notes: string[] = [];
  const tid = currentThreadId();
  if (tid === undefined) {
    const none = cpus !== undefined || priority !== 'normal';
    return {
      tid,
      cpus: undefined,
      priority: 'normal',
      notes: none ? ['thread placement needs Linux /proc/thread-self: VAD worker left as it is'] : [],
    };
  }
  if (cpus) {
    const failed = pinThread(tid, cpus);
    if (failed) notes.push(`VAD worker not pinned: ${failed}`);
  }
  let applied = 'normal';
  if (priority === 'idle') {
    const failed = run('chrt', ['-i', '-p', '0', String(tid)]);
    if (failed === undefined) applied = 'idle';
    else {
      notes.push(`SCHED_IDLE not applied (${failed}); nice 19 instead`);
      priority = 19;
    }
  }
  if (typeof priority === 'number') {
    try {
      setPriority(tid, priority);
      applied = `nice ${priority}`;
    } catch (err) {
      notes.push(`nice ${priority} not applied: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const now = allowedCpus(tid);
  return { tid, cpus: now ? formatCpuList(now) : undefined, priority: applied, notes };
}

/** Where the inference thread and the event loop ended up (`VadEngine.placement`). */
export interface VadPlacementReport {
  /** As the (latest) worker reported it. */
  readonly worker: ThreadPlacementOutcome | undefined;
  /** The event-loop thread's CPUs after placement (undefined when left alone or unknown). */
  readonly loopCpus: string | undefined;
  readonly notes: readonly string[];
}

/** Takes the worker's CPUs away from the calling thread (the event loop that started the engine), as planned. */
export function placeEventLoop(plan: PlacementPlan): { cpus: string | undefined; notes: string[] } {
  const loop = plan.loopCpus;
  const tid = currentThreadId();
  if (!loop || tid === undefined) return { cpus: undefined, notes: [] };
  const failed = pinThread(tid, loop);
  if (failed) return { cpus: undefined, notes: [`event loop not moved off the VAD worker's CPUs: ${failed}`] };
  return { cpus: formatCpuList(allowedCpus(tid) ?? loop), notes: [] };
}
