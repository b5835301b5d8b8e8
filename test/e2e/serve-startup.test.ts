import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { eventWaiter } from '../support/wait.js';

const AVA = fileURLToPath(new URL('../../bin/ava.js', import.meta.url));

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** `ava serve` as a child with JSON logs; `lines` grows as it logs. */
function serve(env: Record<string, string>) {
  const child = spawn(process.execPath, [AVA, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      HTTP_PORT: '0',
      AUDIOSOCKET_HOST: '127.0.0.1',
      AUDIOSOCKET_PORT: '0',
      VAD: 'off',
      LOG_PRETTY: 'false',
      MEDIA_WORKERS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let partial = '';
  const lines: LogLine[] = [];
  const waiter = eventWaiter();
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
    const complete = (partial + d.toString('utf8')).split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
    waiter.notify();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const until = (check: () => boolean, what: string): Promise<void> =>
    waiter.until(check, 20_000, () => `${what}:\n${stderr}`);
  return { child, lines, until, exited, stderr: () => stderr };
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe('ava serve start-up logs and early stop', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('without ARI_URL says once, at info, that it runs in dialplan-direct mode only', async () => {
    const s = serve({});
    child = s.child;
    await s.until(() => s.lines.some((l) => l.msg === 'adapter started'), 'adapter started');
    const modeLines = s.lines.filter((l) => l.msg.includes('dialplan-direct mode only'));
    expect(modeLines).toHaveLength(1);
    expect(modeLines[0]!.level).toBe(30);
    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
  });

  it('with Asterisk unreachable logs each retry with its delay, no stack trace; SIGTERM before ARI connects exits 0', async () => {
    const port = await closedPort();
    const s = serve({ ARI_URL: `http://127.0.0.1:${port}`, ARI_PASSWORD: 'secret-password' });
    child = s.child;
    const retries = () => s.lines.filter((l) => l.msg.startsWith('ARI events stream not connected yet; retrying'));
    await s.until(() => retries().length >= 2, 'two retry lines');
    const [first, second] = retries();
    expect(first).toMatchObject({ level: 30, attempt: 1, retryInMs: expect.any(Number) });
    expect(second).toMatchObject({ level: 30, attempt: 2, retryInMs: expect.any(Number) });
    expect(String(first!.error)).toContain('ECONNREFUSED');
    // A stack trace would show as frames (`\\n    at …`) inside a JSON line.
    expect(s.stderr()).not.toMatch(/\\n\s+at /);
    expect(s.stderr()).not.toContain('"stack"');
    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.stderr()).not.toContain('closed before it connected');
    expect(s.lines.at(-1)?.msg).toBe('adapter stopped');
  });
});
