import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoAgent } from '../../src/calls/agents/echo-agent.js';
import type { CallInfo } from '../../src/calls/voice-agent.js';
import { generateTone } from '../../src/audio/tone-analysis.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { dialAudioSocket } from '../../src/simulator/audiosocket-dialer.js';
import { type ApiEnv, reader, startApiEnv } from '../integration/http/http-test-env.js';
import { until, waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const SECRET = 'agent-secret';

describe('media workers: routes the workers cannot carry run in the primary', () => {
  let env: ApiEnv | undefined;
  let agent: NativeEchoAgent | undefined;
  afterEach(async () => {
    await env?.close();
    await agent?.close();
    env = undefined;
    agent = undefined;
  }, 60_000);

  it('2 workers and an injected agent: its calls (Stasis and dialplan-direct) run in the primary, the others on workers', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    const directUuid = randomUUID();
    const injected: CallInfo[] = [];
    env = await startApiEnv(
      { MEDIA_WORKERS: '2', AGENT_SECRET: SECRET },
      {
        routesJson: {
          routes: [
            { name: 'inproc', match: { extension: '200' }, agent: { kind: 'echo' } },
            { name: 'inproc-direct', match: { audiosocketUuids: [directUuid] }, agent: { kind: 'echo' } },
            {
              name: 'remote',
              match: { extension: '100' },
              agent: { kind: 'websocket', url: agent.url, secretEnv: 'AGENT_SECRET' },
            },
          ],
        },
        // An agent made in the process cannot cross into a worker: the route that uses it stays in the primary.
        agents: {
          echo: (call) => {
            injected.push(call);
            return new EchoAgent(call.legFormat);
          },
        },
      },
    );
    const { app, sim, media, logs } = env.h;
    const pool = app.mediaWorkers!;
    expect(pool.workers.map((w) => w.ready)).toEqual([true, true]);
    // Said once at start, with the reason.
    const startLines = logs.lines.filter(
      (l) => l['msg'] === 'route runs its calls in the primary process, not on media workers',
    );
    expect(startLines.map((l) => l['route'])).toEqual(['inproc', 'inproc-direct']);
    for (const l of startLines)
      expect(l).toMatchObject({ worker: 'primary', reason: expect.stringMatching(/injected/) });

    // A Stasis call on the injected route: its media runs in the primary (its own AudioSocket server).
    const samples = generateTone({ rate: 8000, freq: 700, amplitude: 8000, ms: 1000 });
    const local = await sim.placeInboundCall({
      caller: '+4930200',
      extension: '200',
      audio: { type: 'samples', samples, loop: true },
    });
    await waitFor(() => app.registry.get(local.id)?.state === 'active', WAIT_MS, 'primary call active');
    const localId = app.registry.get(local.id)!.id;
    expect(pool.workerOf(localId)).toBeUndefined();
    expect(app.audioSocket.connections.size).toBe(1);
    expect(injected.map((c) => c.route.name)).toEqual(['inproc']);
    // The echo made in the primary answers the caller.
    await waitFor(() => media[0]!.received.filter((f) => f.kind === 0x10).length > 50, WAIT_MS, 'echo frames');

    // A call on the other route goes to a worker.
    const remote = await sim.placeInboundCall({ caller: '+4930100', extension: '100' });
    await waitFor(() => app.registry.get(remote.id)?.state === 'active', WAIT_MS, 'worker call active');
    const remoteId = app.registry.get(remote.id)!.id;
    expect(pool.workerOf(remoteId)).toBe(0);

    // A dialplan-direct call for the injected route is served by the primary, not handed over.
    const direct = await dialAudioSocket({
      host: '127.0.0.1',
      port: app.audioSocket.address!.port,
      uuid: directUuid,
      source: { type: 'samples', samples },
      onSourceEnd: 'silence',
    });
    await waitFor(() => app.registry.size === 3, WAIT_MS, 'direct call admitted');
    const directSession = app.registry.list().find((s) => s.info.route.name === 'inproc-direct')!;
    await waitFor(() => directSession.state === 'active', WAIT_MS, 'direct call active');
    expect(pool.workerOf(directSession.id)).toBeUndefined();
    expect(app.audioSocket.connections.size).toBe(2);
    expect(pool.workers.map((w) => w.calls)).toEqual([1, 0]);

    // Each call's placement is logged with `worker: primary`.
    const placed = logs.lines.filter((l) => l['msg'] === 'call media runs in the primary process');
    expect(new Set(placed.map((l) => l['callId']))).toEqual(new Set([localId, directSession.id]));
    expect(placed.every((l) => l['worker'] === 'primary')).toBe(true);

    // Records: `mediaWorker` is "primary" for the primary's calls and the slot for the worker's.
    await direct.hangup();
    await local.hangup();
    await remote.hangup();
    await waitFor(() => app.registry.size === 0, WAIT_MS, 'no live calls');
    const inject = app.http!.fastify.inject.bind(app.http!.fastify);
    const mediaWorkerOf = (id: string) =>
      until(async () => {
        const res = await inject({ method: 'GET', url: `/v1/calls/${id}`, headers: reader });
        if (res.statusCode !== 200) return undefined;
        const e = res.json().events.find((x: { type: string }) => x.type === 'call.media_connected');
        return e ? { value: e.payload?.mediaWorker } : undefined;
      }, WAIT_MS);
    expect(await mediaWorkerOf(localId)).toEqual({ value: 'primary' });
    expect(await mediaWorkerOf(directSession.id)).toEqual({ value: 'primary' });
    expect(await mediaWorkerOf(remoteId)).toEqual({ value: 0 });
  }, 120_000);
});
