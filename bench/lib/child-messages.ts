/** Waiting for typed IPC messages from a load-generator child process. */
import type { ChildProcess } from 'node:child_process';

/** What a load generator may send: its own message types, and `error` when it failed. */
export type LoadGenMessage = { type: string } | { type: 'error'; message: string };

/** Resolves with the next message of `type`; rejects on an `error` message, the child's exit, or the timeout. */
export function nextMessage<M extends LoadGenMessage, T extends M['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<M, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`load generator: no ${type} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: M): void => {
      if (m.type === 'error') finish(new Error(`load generator: ${(m as { message?: string }).message}`));
      else if (m.type === type) finish(undefined, m as Extract<M, { type: T }>);
    };
    const onExit = (code: number | null): void => finish(new Error(`load generator exited (${code})`));
    const finish = (err: Error | undefined, value?: Extract<M, { type: T }>): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value!);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * Asks a child process to stop with `message`, waits up to `graceMs` for it to exit, then kills it. Nothing to do
 * when it has exited or its IPC channel closed already.
 */
export async function stopChild(child: ChildProcess, message: object, graceMs: number): Promise<void> {
  if (child.exitCode !== null || !child.connected) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.send(message);
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  if (child.exitCode === null) child.kill();
}
