import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Forks a child process running an ES module entry with an IPC channel: compiled JavaScript (`.js`, as in `dist/`)
 * runs as it is; TypeScript source (`.ts`, under tsx or vitest) runs with tsx's loader (`--import tsx`). The
 * child's stdout and stderr are the parent's, so its log lines land in the same stream.
 */
export function forkModule(entry: URL, options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  if (entry.protocol !== 'file:') throw new TypeError(`child entry must be a file: URL, got ${entry.href}`);
  const path = fileURLToPath(entry);
  return fork(path, [], {
    execArgv: path.endsWith('.ts') ? ['--import', 'tsx'] : [],
    env: options.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
}
