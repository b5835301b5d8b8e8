/**
 * The adapter in its own process for benchmarks and the soak (`bench/suites/calls-server.ts`, configured from the
 * environment like `ava serve`), and CPU pinning with taskset so the service and the load generator do not share a
 * core.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MachineInfo, machineInfo } from './stats.js';

/** This checkout's root: the service the benchmarks start unless told another root. */
export const THIS_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The service process's entry, relative to a checkout's root. */
const SERVER_ENTRY = join('bench', 'suites', 'calls-server.ts');

/**
 * Where the service to start lives: this checkout by default, or another checkout of the project (an older commit
 * beside this one, for before/after comparisons: bench/compare.ts). Throws when `root` has no service entry or no
 * installed dependencies.
 */
export function serviceEntry(root: string = THIS_ROOT): string {
  const entry = join(resolve(root), SERVER_ENTRY);
  if (!existsSync(entry)) throw new Error(`no service at ${root}: ${SERVER_ENTRY} is missing`);
  if (!existsSync(join(resolve(root), 'node_modules')))
    throw new Error(`the service at ${root} has no node_modules (run npm ci there)`);
  return entry;
}

/** Whether processes can be pinned to cores here (taskset present, at least two cores). */
export const CAN_PIN = spawnSync('taskset', ['--version']).status === 0 && cpus().length >= 2;

/** Pins every thread of a process to one core; false when pinning is not possible. */
export function pin(pid: number, core: number): boolean {
  if (!CAN_PIN) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)]).status === 0;
}

/**
 * How the service is placed: `one-core` pins every thread of it to core 1 (the generator has core 0);
 * `main-thread` pins its event-loop thread alone to core 1 and its other threads — the VAD inference worker, V8's
 * GC and compiler helpers, the libuv pool — to core 0, beside the generator (as a 2-core host would run it: the
 * event loop that paces audio never shares its core). Chosen with BENCH_PINNING; `one-core` by default.
 */
export type ServicePinning = 'one-core' | 'main-thread';

export function servicePinning(
  value = process.env.BENCH_PINNING ?? 'one-core',
  name = 'BENCH_PINNING',
): ServicePinning {
  if (value !== 'one-core' && value !== 'main-thread')
    throw new Error(`${name} must be one-core or main-thread, got ${value}`);
  return value;
}

/**
 * Parses `KEY=VALUE` settings for the service (`--service-env`, repeatable) into an environment; throws on an entry
 * without `=` or with a name that is not an environment variable name.
 */
export function parseServiceEnv(entries: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const key = at < 0 ? '' : entry.slice(0, at);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      throw new Error(`--service-env takes KEY=VALUE (a variable name, then =), not "${entry}"`);
    env[key] = entry.slice(at + 1);
  }
  return env;
}

/** Places the service's threads as {@link servicePinning} says (call once it is started); false when not pinned. */
export function pinService(pid: number, mode: ServicePinning = servicePinning()): boolean {
  if (mode === 'one-core') return pin(pid, 1);
  // The main thread's TID is the PID; without -a, taskset changes that thread alone.
  return pin(pid, 0) && CAN_PIN && spawnSync('taskset', ['-p', '-c', '1', String(pid)]).status === 0;
}

/**
 * Starts the service with these environment variables (from the checkout at `root`, this one by default); resolves
 * with the process, its AudioSocket port and the PIDs of its media workers (none with MEDIA_WORKERS=0, or from an
 * older service that does not report them).
 */
export async function startService(
  env: Record<string, string>,
  root?: string,
): Promise<{ child: ChildProcess; port: number; workerPids: number[] }> {
  const entry = serviceEntry(root);
  const child = fork(entry, [], {
    cwd: resolve(entry, '..', '..', '..'),
    // BENCH_SERVICE_NODE_ARGS: extra Node flags for the service only, e.g. `--cpu-prof --cpu-prof-dir=prof`.
    execArgv: [
      '--import',
      import.meta.resolve('tsx'),
      ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    ],
    // One service process unless the run asks for media workers (`--service-env MEDIA_WORKERS=N`).
    env: { MEDIA_WORKERS: '0', ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ port: number; workers?: unknown }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('service did not start within 60 s')), 60_000);
    child.once('message', (m: { type: string; port: number; workers?: unknown }) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
  const workerPids = Array.isArray(ready.workers)
    ? ready.workers.filter((x): x is number => Number.isInteger(x) && (x as number) > 0)
    : [];
  return { child, port: ready.port, workerPids };
}

/** Asks the service to stop (it drains and exits); kills it after 15 s. */
export async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'stop' });
  });
}

/** The machine fields of the suites that run the service: {@link MachineInfo} and whether it was pinned. */
export interface BenchMachine extends MachineInfo {
  readonly pinned: boolean;
}

export function benchMachine(loadAverageAtStart: readonly number[]): BenchMachine {
  return { ...machineInfo(loadAverageAtStart), pinned: CAN_PIN };
}
