/**
 * The adapter in its own process for benchmarks and the soak (`bench/suites/calls-server.ts`, configured from the
 * environment like `ava serve`), and CPU pinning with taskset so the service and the load generator do not share a
 * core.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type MachineInfo, machineInfo } from './stats.js';

const SERVER_FILE = fileURLToPath(new URL('../suites/calls-server.ts', import.meta.url));

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

export function servicePinning(): ServicePinning {
  const v = process.env.BENCH_PINNING ?? 'one-core';
  if (v !== 'one-core' && v !== 'main-thread')
    throw new Error(`BENCH_PINNING must be one-core or main-thread, got ${v}`);
  return v;
}

/** Places the service's threads as {@link servicePinning} says (call once it is started); false when not pinned. */
export function pinService(pid: number, mode: ServicePinning = servicePinning()): boolean {
  if (mode === 'one-core') return pin(pid, 1);
  // The main thread's TID is the PID; without -a, taskset changes that thread alone.
  return pin(pid, 0) && CAN_PIN && spawnSync('taskset', ['-p', '-c', '1', String(pid)]).status === 0;
}

/** Starts the service with these environment variables; resolves with the process and its AudioSocket port. */
export async function startService(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(SERVER_FILE, [], {
    // BENCH_SERVICE_NODE_ARGS: extra Node flags for the service only, e.g. `--cpu-prof --cpu-prof-dir=prof`.
    execArgv: [
      '--import',
      import.meta.resolve('tsx'),
      ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('service did not start within 60 s')), 60_000);
    child.once('message', (m: { type: string; port: number }) => {
      clearTimeout(timer);
      resolve(m.port);
    });
    child.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
  return { child, port };
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
