import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { freePort } from '../../support/net.js';
import { eventually } from '../../support/wait.js';

/**
 * Redis and MariaDB servers a fault test starts for itself on spare loopback ports, with data in a temporary
 * folder, so it can stop and restart them without touching the shared servers. Every process is stopped by its
 * own PID.
 */

const run = promisify(execFile);

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** A redis-server of the test's own. `kill()` is a crash (SIGKILL); `start()` brings it back on the same port. */
export class OwnRedis {
  readonly port: number;
  readonly dir: string;
  readonly #appendOnly: boolean;
  #child: ChildProcess | undefined;

  private constructor(port: number, dir: string, appendOnly: boolean) {
    this.port = port;
    this.dir = dir;
    this.#appendOnly = appendOnly;
  }

  static async create(options: { appendOnly: boolean }): Promise<OwnRedis> {
    const r = new OwnRedis(await freePort(), await mkdtemp(join(tmpdir(), 'ava-redis-')), options.appendOnly);
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push('--appendonly', this.#appendOnly ? 'yes' : 'no', '--appendfsync', 'always');
    this.#child = spawn('redis-server', args, { stdio: 'ignore' });
    await eventually(() => tcpAccepts(this.port), 10_000, `redis-server :${this.port} up`);
  }

  async kill(): Promise<void> {
    await stopProcess(this.#child, 'SIGKILL');
  }

  async dispose(): Promise<void> {
    await stopProcess(this.#child, 'SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A mariadbd of the test's own (root, no password). `stop()` shuts it down; `start()` restarts it on its data. */
export class OwnMariaDb {
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  static async create(): Promise<OwnMariaDb> {
    const dir = await mkdtemp(join(tmpdir(), 'ava-mariadb-'));
    await run('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      // Its own temporary directory: bootstraps running at once must not meet in the shared /tmp.
      `--tmpdir=${dir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ]);
    const m = new OwnMariaDb(await freePort(), dir);
    await m.start();
    return m;
  }

  async start(): Promise<void> {
    this.#child = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        `--socket=${join(this.dir, 'mysqld.sock')}`,
        `--tmpdir=${this.dir}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=16M',
        '--innodb-log-file-size=8M',
        '--skip-name-resolve',
      ],
      { stdio: 'ignore' },
    );
    await eventually(
      async () => {
        const c = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 1000 });
        await c.end();
        return true;
      },
      30_000,
      `mariadbd :${this.port} up`,
    );
  }

  /** Shuts the server down (SIGTERM) and waits until it has exited. */
  async stop(): Promise<void> {
    await stopProcess(this.#child, 'SIGTERM');
  }

  async dispose(): Promise<void> {
    await stopProcess(this.#child, 'SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }
}
