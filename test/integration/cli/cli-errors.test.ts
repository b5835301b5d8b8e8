import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';

const AVA = fileURLToPath(new URL('../../../bin/ava.js', import.meta.url));
const MYSQL_BASE = 'mysql://root@127.0.0.1:3306';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ava(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [AVA, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A message on one line, or a few short lines: never a stack trace. */
function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('ava CLI: configuration and availability errors', () => {
  let dir = '';
  let closedPort = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ava-cli-'));
    // A port that was just free: nothing listens on it.
    const probe: Server = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('routes check of a missing file: one line naming the file, exit 3', async () => {
    const run = await ava(['routes', 'check', join(dir, 'missing.json')]);
    expect(run.code).toBe(EXIT.config);
    expect(run.stderr).toContain(`cannot read ${join(dir, 'missing.json')}: no such file`);
    expectNoStack(run.stderr);
  });

  it('routes check refuses what serve refuses (an unset secretEnv) unless --file-only', async () => {
    const file = join(dir, 'routes.json');
    await writeFile(
      file,
      JSON.stringify({
        routes: [{ name: 'r1', agent: { kind: 'websocket', url: 'ws://127.0.0.1:1/a', secretEnv: 'R1_SECRET' } }],
      }),
    );
    const refused = await ava(['routes', 'check', file]);
    expect(refused.code).toBe(EXIT.config);
    expect(refused.stderr).toContain('R1_SECRET: route "r1" names it as its agent secret, but it is not set');
    const set = await ava(['routes', 'check', file], { R1_SECRET: 'a-secret-of-some-length' });
    expect(set.code).toBe(EXIT.ok);
    expect(JSON.parse(set.stdout)).toMatchObject({ ok: true, routes: [{ name: 'r1', agent: 'websocket' }] });
    const fileOnly = await ava(['routes', 'check', '--file-only', file]);
    expect(fileOnly.code).toBe(EXIT.ok);
    expect(JSON.parse(fileOnly.stdout).checked).toContain('secretEnv variables were not checked');
  });

  it('routes check: enum fields list the allowed values and echo the bad one', async () => {
    const file = join(dir, 'bad-enum.json');
    await writeFile(
      file,
      JSON.stringify({
        routes: [{ name: 'r1', audioFormat: 'slin8', agent: { kind: 'websocket', url: 'ws://x', sampleRate: 12345 } }],
      }),
    );
    const run = await ava(['routes', 'check', '--file-only', file]);
    expect(run.code).toBe(EXIT.config);
    expect(run.stderr).toContain('routes.0.agent.sampleRate: must be one of 8000, 16000, 24000 (got 12345)');
    expect(run.stderr).toContain('routes.0.audioFormat: must be one of "slin", "slin16", "ulaw", "alaw" (got "slin8")');
  });

  it('migrate rejects an unknown action with usage exit 2, before touching any database', async () => {
    const run = await ava(['migrate', 'sideways']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain("'sideways' is invalid");
    expect(run.stderr).toContain('up, down, status');
  });

  it('migrate needs MYSQL_URL only (no REDIS_URL), and says so when it is missing', async () => {
    const missing = await ava(['migrate', 'status']);
    expect(missing.code).toBe(EXIT.config);
    expect(missing.stderr.trim()).toBe('ava: MYSQL_URL is not set');
    const status = await ava(['migrate', 'status'], { MYSQL_URL: `${MYSQL_BASE}/mysql` });
    expect(status.stderr).not.toContain('REDIS_URL');
    expect(status.code).toBe(EXIT.ok);
    expect(JSON.parse(status.stdout)).toEqual({ migrations: expect.any(Array) });
  });

  it('migrate against a missing database: configuration error, exit 3, one line', async () => {
    const run = await ava(['migrate', 'status'], { MYSQL_URL: `${MYSQL_BASE}/ava_no_such_database_17` });
    expect(run.code).toBe(EXIT.config);
    expect(run.stderr.trim()).toBe(
      'ava: the database in MYSQL_URL (127.0.0.1:3306/ava_no_such_database_17) does not exist: create it first (CREATE DATABASE)',
    );
  });

  it('migrate against a closed port: unavailable, exit 4, one line', async () => {
    const run = await ava(['migrate', 'up'], { MYSQL_URL: `mysql://root@127.0.0.1:${closedPort}/x` });
    expect(run.code).toBe(EXIT.unavailable);
    expect(run.stderr.trim()).toBe(
      `ava: cannot reach the database at 127.0.0.1:${closedPort}/x (ECONNREFUSED); is MySQL/MariaDB running?`,
    );
  });
});
