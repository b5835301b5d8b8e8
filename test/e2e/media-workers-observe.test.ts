import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CallEventsRepository } from '../../src/db/call-events-repository.js';
import { CallsRepository } from '../../src/db/calls-repository.js';
import type { SimulatedChannel } from '../../src/simulator/ari/simulated-channel.js';
import { type ApiEnv, READ_TOKEN, reader, startApiEnv } from '../integration/http/http-test-env.js';
import { until, waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const AVA = fileURLToPath(new URL('../../bin/ava.js', import.meta.url));

/** `ava <args>` against the running instance's REST API (read token): exit code and stdout. */
function ava(env: ApiEnv, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const url = `http://127.0.0.1:${env.h.app.http!.address!.port}`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [AVA, ...args],
      { env: { PATH: process.env.PATH ?? '', AVA_URL: url, AVA_TOKEN: READ_TOKEN }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Places `n` inbound calls and waits until each is active; returns their call ids and callers. */
async function placeCalls(env: ApiEnv, n: number): Promise<{ ids: string[]; callers: SimulatedChannel[] }> {
  const { app, sim } = env.h;
  const ids: string[] = [];
  const callers: SimulatedChannel[] = [];
  for (let i = 0; i < n; i++) {
    const caller = await sim.placeInboundCall({ caller: `+49305${i}`, extension: '100' });
    await waitFor(() => app.registry.get(caller.id)?.state === 'active', WAIT_MS, `call ${i} active`);
    ids.push(app.registry.get(caller.id)!.id);
    callers.push(caller);
  }
  return { ids, callers };
}

/** The table line of call `id` in `ava calls` output, split on runs of spaces. */
function tableRow(stdout: string, id: string): string[] | undefined {
  return stdout
    .split('\n')
    .find((l) => l.startsWith(id))
    ?.split(/\s{2,}/);
}

describe('which worker holds a call, and the workers’ own process metrics', () => {
  let env: ApiEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  }, 60_000);

  it('with 2 workers: /v1/calls, `ava calls` and /metrics name the worker of each call and process', async () => {
    env = await startApiEnv({ MEDIA_WORKERS: '2' });
    const { app } = env.h;
    const pool = app.mediaWorkers!;
    const { ids, callers } = await placeCalls(env, 2);
    const slots = ids.map((id) => pool.workerOf(id));
    expect([...slots].sort()).toEqual([0, 1]);
    const inject = app.http!.fastify.inject.bind(app.http!.fastify);

    // The REST list and get say where each live call's media is (once its media_connected is stored).
    const listed = await until(
      async () => {
        const res = await inject({ method: 'GET', url: '/v1/calls', headers: reader });
        const items = (res.json() as { items: Array<{ id: string; state: string; mediaWorker: unknown }> }).items;
        // The record follows the call through the job layer: wait until it says active and names the worker.
        const stored = (id: string) => items.find((c) => c.id === id);
        return ids.every((id) => stored(id)?.mediaWorker !== null && stored(id)?.state === 'active')
          ? items
          : undefined;
      },
      WAIT_MS,
      'media workers recorded',
    );
    for (const [i, id] of ids.entries()) expect(listed.find((c) => c.id === id)?.mediaWorker).toBe(slots[i]);
    const detail = (await inject({ method: 'GET', url: `/v1/calls/${ids[0]}`, headers: reader })).json();
    expect(detail.call).toMatchObject({ id: ids[0], state: 'active', mediaWorker: slots[0] });
    expect(detail.events.find((e: { type: string }) => e.type === 'call.media_connected')?.payload).toMatchObject({
      mediaWorker: slots[0],
    });

    // `ava calls`: a table with a WORKER column.
    const table = await ava(env, ['calls']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual([
      'ID',
      'STATE',
      'DIRECTION',
      'ROUTE',
      'WORKER',
      'CREATED',
      'CLOSE REASON',
    ]);
    for (const [i, id] of ids.entries()) expect(tableRow(table.stdout, id)?.[4]).toBe(String(slots[i]));
    const asJson = await ava(env, ['calls', '--json']);
    expect(JSON.parse(asJson.stdout).items.find((c: { id: string }) => c.id === ids[1])?.mediaWorker).toBe(slots[1]);

    // /metrics: each worker's own process metrics with its label, the primary's own series unchanged.
    const body = await until(
      async () => {
        const text = (await inject({ method: 'GET', url: '/metrics' })).body;
        const both = ['0', '1'].every((w) =>
          text.includes(`ava_media_worker_nodejs_eventloop_lag_max_seconds{worker="${w}"}`),
        );
        return both ? text : undefined;
      },
      WAIT_MS,
      'worker process metrics',
    );
    for (const worker of ['0', '1']) {
      for (const name of [
        'process_cpu_user_seconds_total',
        'process_cpu_system_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_heap_size_used_bytes',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_eventloop_lag_max_seconds',
        'nodejs_active_handles_total',
      ])
        expect(body).toMatch(new RegExp(`^ava_media_worker_${name}\\{worker="${worker}"\\} [0-9.e+-]+$`, 'm'));
      const rss = Number(
        body.match(
          new RegExp(`^ava_media_worker_process_resident_memory_bytes\\{worker="${worker}"\\} (.+)$`, 'm'),
        )?.[1],
      );
      expect(rss).toBeGreaterThan(1_000_000);
    }
    expect(body).toMatch(/^ava_process_resident_memory_bytes \d/m);
    expect(body).toMatch(/^ava_process_cpu_user_seconds_total \d/m);

    // After the calls, their records still name the worker that held them.
    for (const caller of callers) await caller.hangup();
    await waitFor(() => app.registry.size === 0, WAIT_MS, 'no live calls');
    const repo = new CallsRepository(env.tmp.db);
    for (const [i, id] of ids.entries()) {
      const row = await until(async () => ((await repo.get(id))?.endedAt ? repo.get(id) : undefined), WAIT_MS);
      expect(row?.mediaWorker).toBe(slots[i]);
    }
  }, 120_000);

  it('with MEDIA_WORKERS=0 a call’s media is in the primary: "primary" in the API and the table', async () => {
    env = await startApiEnv({ MEDIA_WORKERS: '0' });
    const [id] = (await placeCalls(env, 1)).ids;
    const db = env.tmp.db;
    await until(
      async () =>
        (await new CallEventsRepository(db).listByCall(id!)).some((e) => e.type === 'call.media_connected')
          ? true
          : undefined,
      WAIT_MS,
      'media_connected stored',
    );
    const res = await env.h.app.http!.fastify.inject({ method: 'GET', url: `/v1/calls/${id}`, headers: reader });
    expect(res.json().call).toMatchObject({ id, mediaWorker: 'primary' });
    const table = await ava(env, ['calls']);
    expect(tableRow(table.stdout, id!)?.[4]).toBe('primary');
  }, 120_000);
});
