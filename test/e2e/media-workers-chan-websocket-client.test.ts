import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import { CallsRepository } from '../../src/db/calls-repository.js';
import type { SimChanWebSocket } from '../../src/simulator/ari/sim-chan-websocket.js';
import type { SimulatedChannel } from '../../src/simulator/ari/simulated-channel.js';
import { createTempDatabase, type TempDatabase } from '../integration/db/temp-database.js';
import { API_TOKENS, control } from '../integration/http/http-test-env.js';
import { cleanRedis, randomPrefix, REDIS_URL } from '../integration/jobs/job-test-env.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import {
  type ChanWebSocketHarness,
  startChanWebSocketHarness,
  websocketRoutes,
} from '../support/chan-websocket-harness.js';
import { freePort } from '../support/net.js';
import { until, waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const FREQS = [500, 700, 900, 1100];
const LEVEL = 8000;
const RATE = 16000;
const PASSWORD = 'media-client-secret';

interface Placed {
  caller: SimulatedChannel;
  conn: SimChanWebSocket;
  callId: string;
  freq: number;
  readonly connClosed: () => boolean;
}

/** Whether Asterisk's side of `conn` received the caller's own tone back (the echo agent on its worker works). */
function hearsOwnEcho(conn: SimChanWebSocket, freq: number): boolean {
  const heard = trimSilence(pcmSamples(Buffer.concat(conn.played.map((f) => f.data))));
  if (heard.length < RATE / 2) return false;
  const tone = generateTone({ rate: RATE, freq, amplitude: LEVEL, ms: 200 });
  const m = toneWindowMatch(heard, RATE, freq, rmsDbfs(tone));
  return m.windows >= 10 && m.share >= 0.9;
}

/** Starts the service with `workers` media workers and chan_websocket in client mode (Asterisk connects to it). */
async function start(workers: number, extraEnv: Record<string, string> = {}): Promise<ChanWebSocketHarness> {
  const port = await freePort();
  return startChanWebSocketHarness(
    {
      MEDIA_WORKERS: String(workers),
      CHAN_WEBSOCKET_CONNECTION: 'client',
      CHAN_WEBSOCKET_CLIENT_ID: 'ava',
      CHAN_WEBSOCKET_LISTEN_PORT: String(port),
      CHAN_WEBSOCKET_PASSWORD: PASSWORD,
      ...extraEnv,
    },
    { routesJson: websocketRoutes({ kind: 'echo' }, { audioFormat: 'slin16' }) },
    {
      chanWebSocket: {
        clients: { ava: { uri: `ws://127.0.0.1:${port}/media`, username: 'asterisk', password: PASSWORD } },
      },
    },
  );
}

/** Places `n` inbound calls one after the other, each with its own looping tone, and waits until each is active. */
async function placeCalls(h: ChanWebSocketHarness, n: number): Promise<Placed[]> {
  const placed: Placed[] = [];
  for (let i = 0; i < n; i++) {
    const freq = FREQS[i % FREQS.length]!;
    const samples = generateTone({ rate: RATE, freq, amplitude: LEVEL, ms: 1000 });
    const before = h.media.length;
    const caller = await h.sim.placeInboundCall({
      caller: `+49303${i}`,
      audio: { type: 'samples', samples, loop: true },
    });
    await waitFor(() => h.media.length === before + 1, WAIT_MS, `media connection of call ${i}`);
    await waitFor(() => h.app.registry.get(caller.id)?.state === 'active', WAIT_MS, `call ${i} active`);
    const conn = h.media[before]!;
    let closed = false;
    void conn.closed.then(() => {
      closed = true;
    });
    placed.push({ caller, conn, callId: h.app.registry.get(caller.id)!.id, freq, connClosed: () => closed });
  }
  return placed;
}

describe('media workers with chan_websocket in client mode (Asterisk connects to the primary)', () => {
  let h: ChanWebSocketHarness | undefined;
  let tmp: TempDatabase | undefined;
  let prefix: string | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await tmp?.drop();
    tmp = undefined;
    if (prefix) await cleanRedis(REDIS_URL, prefix);
    prefix = undefined;
  }, 60_000);

  it('2 workers: each connection is handed to its call worker before the handshake, echoes both ways, REST hangup ends it', async () => {
    tmp = await createTempDatabase({ migrate: false });
    prefix = randomPrefix();
    h = await start(2, {
      MYSQL_URL: tmp.url,
      REDIS_URL,
      JOBS_PREFIX: prefix,
      INSTANCE_ID: `test-${prefix}`,
      HTTP_ENABLED: 'true',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      API_TOKENS,
    });
    const pool = h.app.mediaWorkers!;
    expect(pool.workers.map((w) => w.ready)).toEqual([true, true]);
    const calls = await placeCalls(h, 4);
    expect(pool.workers.map((w) => w.calls)).toEqual([2, 2]);
    expect(new Set(calls.map((c) => pool.workerOf(c.callId)))).toEqual(new Set([0, 1]));
    for (const c of calls) {
      // The primary holds no media of the call: no local bridge; its worker completed the handshake and echoes.
      expect(h.app.registry.get(c.caller.id)?.bridge).toBeUndefined();
      await waitFor(() => hearsOwnEcho(c.conn, c.freq), WAIT_MS, `echo at ${c.freq} Hz`);
      expect(c.conn.format).toBe('slin16');
      expect(c.conn.violations).toEqual([]);
    }
    expect(h.logs.find(/chan_websocket media connection handed over to its media worker/)).toHaveLength(4);
    // REST hangup reaches each call on its worker: the call ends, recorded, and the worker closes its media socket.
    const inject = (opts: InjectOptions) => h!.app.http!.fastify.inject(opts);
    const repo = new CallsRepository(tmp.db);
    for (const c of calls) {
      const res = await inject({ method: 'POST', url: `/v1/calls/${c.callId}/hangup`, headers: control });
      expect([res.statusCode, res.json()]).toEqual([200, { ended: true }]);
      const row = await until(
        async () => ((await repo.get(c.callId))?.endedAt ? repo.get(c.callId) : undefined),
        WAIT_MS,
      );
      expect(row?.closeReason).toBe('control_hangup');
      await waitFor(() => c.connClosed(), WAIT_MS, 'media socket closed by the worker');
    }
    await waitFor(() => h!.app.registry.size === 0, WAIT_MS, 'no live calls');
    await waitFor(() => h!.sim.channels().length === 0 && h!.sim.bridges().length === 0, WAIT_MS, 'nothing left');
    expect(pool.workers.map((w) => w.calls)).toEqual([0, 0]);
  }, 180_000);

  it('3 workers: calls go one to each worker, each echoes on its own, caller hangups leave nothing behind', async () => {
    h = await start(3);
    const pool = h.app.mediaWorkers!;
    const calls = await placeCalls(h, 3);
    expect(calls.map((c) => pool.workerOf(c.callId)).sort()).toEqual([0, 1, 2]);
    for (const c of calls) await waitFor(() => hearsOwnEcho(c.conn, c.freq), WAIT_MS, `echo at ${c.freq} Hz`);
    for (const c of calls) await c.caller.hangup();
    await waitFor(() => h!.app.registry.size === 0, WAIT_MS, 'no live calls');
    await waitFor(() => h!.sim.channels().length === 0 && h!.sim.bridges().length === 0, WAIT_MS, 'nothing left');
    await waitFor(() => calls.every((c) => c.connClosed()), WAIT_MS, 'media sockets closed');
    expect(pool.workers.map((w) => w.calls)).toEqual([0, 0, 0]);
  }, 180_000);

  it('wrong credentials: the primary refuses the connection (401) before any hand-over, and the call fails cleanly', async () => {
    const port = await freePort();
    h = await startChanWebSocketHarness(
      {
        MEDIA_WORKERS: '2',
        CHAN_WEBSOCKET_CONNECTION: 'client',
        CHAN_WEBSOCKET_CLIENT_ID: 'ava',
        CHAN_WEBSOCKET_LISTEN_PORT: String(port),
        CHAN_WEBSOCKET_PASSWORD: PASSWORD,
      },
      { routesJson: websocketRoutes({ kind: 'echo' }) },
      {
        chanWebSocket: {
          clients: { ava: { uri: `ws://127.0.0.1:${port}/media`, username: 'asterisk', password: 'x' } },
        },
      },
    );
    const caller = await h.sim.placeInboundCall({});
    await waitFor(() => !caller.alive, WAIT_MS, 'caller hung up');
    expect(h.media).toHaveLength(0);
    expect(h.logs.find(/bad credentials/).length).toBeGreaterThanOrEqual(1);
    expect(h.logs.find(/handed over to its media worker/)).toHaveLength(0);
    await waitFor(() => h!.app.registry.size === 0 && h!.sim.channels().length === 0, WAIT_MS, 'nothing left');
    expect(h.app.mediaWorkers!.workers.map((w) => w.calls)).toEqual([0, 0]);
  }, 120_000);
});
