import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A test helper process started with `node --import tsx <script>`, talking over IPC. */
export interface TsxChild {
  process: ChildProcess;
  /** Resolves with the first IPC message matching `predicate`. */
  message<T>(predicate: (m: T) => boolean, timeoutMs?: number): Promise<T>;
  send(message: unknown): void;
  /** SIGKILLs the process and waits for it to exit. */
  kill(): Promise<void>;
}

/** Path of a script in test/fakes/. */
export function fakeScript(name: string): string {
  return fileURLToPath(new URL(`../../fakes/${name}`, import.meta.url));
}

export function startTsxChild(script: string, env: Record<string, string>): TsxChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  const messages: unknown[] = [];
  const waiters = new Set<() => void>();
  child.on('message', (m) => {
    messages.push(m);
    for (const w of [...waiters]) w();
  });
  return {
    process: child,
    message<T>(predicate: (m: T) => boolean, timeoutMs = 30_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = (): void => {
          const found = messages.find((m) => predicate(m as T));
          if (found !== undefined) {
            clearTimeout(timer);
            waiters.delete(check);
            child.off('exit', onExit);
            resolve(found as T);
          }
        };
        const onExit = (code: number | null): void => {
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`child ${script} exited (${code}) before the expected message`));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          child.off('exit', onExit);
          reject(new Error(`child ${script}: no expected message within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    send(message: unknown): void {
      child.send(message as never);
    },
    async kill(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
