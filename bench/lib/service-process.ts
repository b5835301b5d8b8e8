/**
 * The adapter in its own process for benchmarks and the soak (`bench/suites/calls-server.ts`, configured from the
 * environment like `ava serve`), and CPU pinning with taskset so the service and the load generator do not share a
 * core.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const SERVER_FILE = fileURLToPath(new URL('../suites/calls-server.ts', import.meta.url));

/** Whether processes can be pinned to cores here (taskset present, at least two cores). */
export const CAN_PIN = spawnSync('taskset', ['--version']).status === 0 && cpus().length >= 2;

/** Pins every thread of a process to one core; false when pinning is not possible. */
export function pin(pid: number, core: number): boolean {
  if (!CAN_PIN) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)]).status === 0;
}

/** Starts the service with these environment variables; resolves with the process and its AudioSocket port. */
export async function startService(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(SERVER_FILE, [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
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
