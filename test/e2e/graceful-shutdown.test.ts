import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CallEventsRepository } from '../../src/db/call-events-repository.js';
import { CallsRepository } from '../../src/db/calls-repository.js';
import { audioSocketDialerLink } from '../../src/simulator/ari/audiosocket-dialer-link.js';
import { type SimulatedAsterisk, startSimulatedAsterisk } from '../../src/simulator/ari/simulated-asterisk.js';
import type { SimulatedChannel } from '../../src/simulator/ari/simulated-channel.js';
import { createTempDatabase, type TempDatabase } from '../integration/db/temp-database.js';
import { until } from '../support/wait.js';
import { cleanRedis, randomPrefix, REDIS_URL } from '../integration/jobs/job-test-env.js';

const AVA = fileURLToPath(new URL('../../bin/ava.js', import.meta.url));
const CALLS = 20;

describe('SIGTERM to `ava serve` during live calls', () => {
  let sim: SimulatedAsterisk | undefined;
  let tmp: TempDatabase | undefined;
  let child: ChildProcess | undefined;
  let prefix = '';
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sim?.close();
    await tmp?.drop();
    await cleanRedis(REDIS_URL, prefix);
    sim = undefined;
    tmp = undefined;
    child = undefined;
  });

  it('stops taking calls, hangs up the 20 live ones at the deadline with reason shutdown, and records all', async () => {
    tmp = await createTempDatabase({ migrate: false });
    prefix = randomPrefix();
    sim = await startSimulatedAsterisk({
      username: 'adapter',
      password: 'test-ari-password',
      audioSocket: { dial: audioSocketDialerLink({}) },
    });
    const logs: Record<string, unknown>[] = [];
    let stderrTail = '';
    const proc = spawn(process.execPath, [AVA, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        ARI_URL: sim.url,
        ARI_USERNAME: 'adapter',
        ARI_PASSWORD: 'test-ari-password',
        AUDIOSOCKET_HOST: '127.0.0.1',
        AUDIOSOCKET_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        VAD: 'off',
        DEFAULT_AGENT: 'echo',
        MEDIA_WORKERS: '0',
        MYSQL_URL: tmp.url,
        REDIS_URL,
        JOBS_PREFIX: prefix,
        INSTANCE_ID: `test-${prefix}`,
        SHUTDOWN_DEADLINE_MS: '1500',
        LOG_LEVEL: 'info',
        LOG_PRETTY: 'false',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let partial = '';
    proc.stderr!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        stderrTail = `${stderrTail}${line}\n`.slice(-4000);
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
    });
    const logged = (msg: string) => logs.some((l) => l.msg === msg);
    await until(
      async () =>
        logged('adapter started') ? true : proc.exitCode !== null ? Promise.reject(new Error(stderrTail)) : undefined,
      45_000,
      'adapter started',
    );

    const callers: SimulatedChannel[] = [];
    for (let i = 0; i < CALLS; i++)
      callers.push(await sim.placeInboundCall({ caller: `+49301${i}`, extension: '100' }));
    const calls = new CallsRepository(tmp.db);
    await until(
      async () => {
        const page = await calls.list({ state: 'active', limit: 100 });
        return page.items.length === CALLS ? true : undefined;
      },
      45_000,
      `${CALLS} active calls recorded`,
    );

    proc.kill('SIGTERM');
    await until(async () => (logged('adapter stopping') ? true : undefined), 20_000, 'stopping');
    const late = await sim.placeInboundCall({ caller: '+4930999', extension: '100' });
    const lateEnd = await late.ended;
    expect(lateEnd).toBeTruthy();

    const exit = await exited;
    expect(exit).toEqual({ code: 0, signal: null });
    for (const c of callers) await c.ended;
    expect(sim.channels()).toEqual([]);

    const all = await calls.list({ limit: 100 });
    const ours = all.items.filter((c) => callers.some((ch) => ch.id === c.callerChannelId));
    expect(ours).toHaveLength(CALLS);
    for (const c of ours)
      expect(c).toMatchObject({ state: 'ended', closeReason: 'shutdown', hangupInitiator: 'system' });
    const events = new CallEventsRepository(tmp.db);
    for (const c of ours) {
      const types = (await events.listByCall(c.id)).map((e) => e.type);
      expect(types[0]).toBe('call.created');
      expect(types.at(-1)).toBe('call.ended');
    }
    expect(logs.some((l) => l.msg === 'deadline reached: hanging up remaining calls')).toBe(true);
    expect(logs.some((l) => l.msg === 'adapter stopped')).toBe(true);
  }, 120_000);
});
