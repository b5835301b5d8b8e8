import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CallEventsRepository } from '../../src/db/call-events-repository.js';
import { CallsRepository } from '../../src/db/calls-repository.js';
import { audioSocketDialerLink } from '../../src/simulator/ari/audiosocket-dialer-link.js';
import { type SimulatedAsterisk, startSimulatedAsterisk } from '../../src/simulator/ari/simulated-asterisk.js';
import { HttpReceiver } from '../fakes/jobs-http-receiver.js';
import { createTempDatabase, type TempDatabase } from '../integration/db/temp-database.js';
import { cleanRedis, randomPrefix, REDIS_URL } from '../integration/jobs/job-test-env.js';
import { until } from '../support/wait.js';

const AVA = fileURLToPath(new URL('../../bin/ava.js', import.meta.url));
const SECRET = 'orphan_e2e_webhook_secret_0123';
/** Short lease and sweep, so the test sees the dead instance's call closed soon. */
const LEASE = { CALL_OWNERSHIP_TTL_MS: '2000', CALL_ORPHAN_SWEEP_INTERVAL_MS: '1000' };

/** One `ava serve` process and the JSON log lines it wrote. */
interface Serve {
  proc: ChildProcess;
  logs: Record<string, unknown>[];
}

function serve(env: Record<string, string>): Serve {
  const logs: Record<string, unknown>[] = [];
  const proc = spawn(process.execPath, [AVA, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      AUDIOSOCKET_HOST: '127.0.0.1',
      AUDIOSOCKET_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      VAD: 'off',
      DEFAULT_AGENT: 'echo',
      MEDIA_WORKERS: '0',
      REDIS_URL,
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      ...LEASE,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let partial = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  return { proc, logs };
}

async function started(s: Serve): Promise<number> {
  const line = await until(
    async () => {
      if (s.proc.exitCode !== null) throw new Error(`ava serve exited with ${s.proc.exitCode}`);
      return s.logs.find((l) => l.msg === 'HTTP API listening') && s.logs.some((l) => l.msg === 'adapter started')
        ? s.logs.find((l) => l.msg === 'HTTP API listening')
        : undefined;
    },
    45_000,
    'adapter started',
  );
  return Number(line.port);
}

describe('`ava serve` killed with SIGKILL mid-call', () => {
  let sim: SimulatedAsterisk | undefined;
  let tmp: TempDatabase | undefined;
  let receiver: HttpReceiver | undefined;
  const procs: ChildProcess[] = [];
  let prefix = '';
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await sim?.close();
    await receiver?.close();
    await tmp?.drop();
    await cleanRedis(REDIS_URL, prefix);
    sim = undefined;
    tmp = undefined;
    receiver = undefined;
  });

  it('leaves its live call to the other instance, which closes it as orphaned with event, webhook, log and metric', async () => {
    const db = await createTempDatabase({ migrate: false });
    tmp = db;
    prefix = randomPrefix();
    receiver = await HttpReceiver.start(SECRET, () => ({ status: 204 }));
    sim = await startSimulatedAsterisk({
      username: 'adapter',
      password: 'test-ari-password',
      audioSocket: { dial: audioSocketDialerLink({}) },
    });
    const common = {
      MYSQL_URL: db.url,
      JOBS_PREFIX: prefix,
      WEBHOOK_URL: receiver.url('/hooks'),
      WEBHOOK_SECRET: SECRET,
    };
    const first = serve({
      ...common,
      INSTANCE_ID: `one-${prefix}`,
      ARI_URL: sim.url,
      ARI_USERNAME: 'adapter',
      ARI_PASSWORD: 'test-ari-password',
    });
    procs.push(first.proc);
    await started(first);
    const second = serve({
      ...common,
      INSTANCE_ID: `two-${prefix}`,
      API_TOKENS: 'ops:read:orphan-e2e-token-0123456789',
    });
    procs.push(second.proc);
    const secondHttp = await started(second);

    const caller = await sim.placeInboundCall({ caller: '+4930555', extension: '100' });
    const calls = new CallsRepository(db.db);
    const live = await until(
      async () => (await calls.list({ state: 'active', limit: 10 })).items.find((c) => c.callerChannelId === caller.id),
      45_000,
      'the call recorded as active',
    );
    expect(live.ownerInstance).toBe(`one-${prefix}`);

    first.proc.kill('SIGKILL');
    const closed = await until(
      async () => {
        const c = await calls.get(live.id);
        return c?.endedAt ? c : undefined;
      },
      30_000,
      'the call closed by the surviving instance',
    );
    expect(closed).toMatchObject({ state: 'failed', closeReason: 'orphaned', hangupInitiator: 'system' });

    const events = await until(
      async () => {
        const rows = await new CallEventsRepository(db.db).listByCall(live.id);
        return rows.at(-1)?.type === 'call.ended' ? rows : undefined;
      },
      20_000,
      'the call.ended event',
    );
    expect(events[0]?.type).toBe('call.created');
    expect(events.filter((e) => e.type === 'call.ended')).toHaveLength(1);
    expect(events.at(-1)?.payload).toMatchObject({ closeReason: 'orphaned', state: 'failed', initiator: 'system' });

    const isEnd = (r: { json: unknown }) => {
      const body = r.json as { type?: string; callId?: string } | null;
      return body?.type === 'call.ended' && body.callId === live.id;
    };
    await receiver.waitFor((reqs) => reqs.some(isEnd), 30_000);
    const hook = receiver.requests.find(isEnd);
    expect(hook?.signature).toMatchObject({ valid: true });
    expect(hook?.json).toMatchObject({ data: { closeReason: 'orphaned' } });

    const line = second.logs.find((l) => l.callId === live.id && String(l.msg).startsWith('call closed as orphaned'));
    expect(line).toMatchObject({ ownerInstance: `one-${prefix}` });
    const metrics = await fetch(`http://127.0.0.1:${secondHttp}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^ava_orphaned_calls_closed_total 1$/m);
  }, 150_000);
});
