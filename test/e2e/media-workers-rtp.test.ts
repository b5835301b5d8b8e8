import { createSocket } from 'node:dgram';
import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import { workerRtpPortRange } from '../../src/config/rtp-port-split.js';
import { CallsRepository } from '../../src/db/calls-repository.js';
import { encodeRtp } from '../../src/protocols/rtp/index.js';
import type { SimulatedChannel } from '../../src/simulator/ari/simulated-channel.js';
import type { SimUnicastRtp } from '../../src/simulator/ari/sim-unicast-rtp.js';
import { type ApiEnv, control, startApiEnv } from '../integration/http/http-test-env.js';
import type { AriHarness } from '../support/ari-harness.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import { receivedPcm, rtpEnv, rtpRoutes, startRtpHarness } from '../support/rtp-harness.js';
import { until, waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const FREQS = [500, 700, 900, 1100, 1300, 1500];
const LEVEL = 8000;

/**
 * Whether the UnicastRTP channel hears its own caller's tone back (in the last 1.5 s of packets from packet `from` on):
 * the echo on its worker. Only the recent packets count: on a loaded machine a packet of the caller's may come later
 * than the jitter buffer waits (concealed as silence), which must not taint every later check.
 */
function hearsOwnEcho(stream: SimUnicastRtp, freq: number, from = 0): boolean {
  const recent = stream.received.slice(Math.max(from, stream.received.length - 75));
  const samples = trimSilence(receivedPcm({ received: recent } as SimUnicastRtp));
  if (samples.length < 8000) return false;
  const tone = generateTone({ rate: 8000, freq, amplitude: LEVEL, ms: 200 });
  const m = toneWindowMatch(samples, 8000, freq, rmsDbfs(tone), { dbTolerance: 0.6 });
  return m.windows >= 10 && m.share >= 0.9;
}

interface Placed {
  caller: SimulatedChannel;
  stream: SimUnicastRtp;
  callId: string;
  freq: number;
}

/** Places `n` RTP calls one after the other, each with its own looping tone, and waits until each is active. */
async function placeCalls(app: App, sim: AriHarness['sim'], n: number): Promise<Placed[]> {
  const placed: Placed[] = [];
  for (let i = 0; i < n; i++) {
    const freq = FREQS[i % FREQS.length]!;
    const samples = generateTone({ rate: 8000, freq, amplitude: LEVEL, ms: 1000 });
    const before = sim.rtpStreams().length;
    const caller = await sim.placeInboundCall({
      caller: `+49301${i}`,
      audio: { type: 'samples', samples, loop: true },
    });
    await waitFor(() => sim.rtpStreams().length === before + 1, WAIT_MS, `RTP stream of call ${i}`);
    await waitFor(() => app.registry.get(caller.id)?.state === 'active', WAIT_MS, `call ${i} active`);
    placed.push({ caller, stream: sim.rtpStreams()[before]!, callId: app.registry.get(caller.id)!.id, freq });
  }
  return placed;
}

/** A series of the primary's `/metrics` (the workers' reports, up to a second old, included). */
async function metric(app: App, name: string): Promise<number> {
  const body = (await app.metrics.render()).body;
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1] ?? 0);
}

/** The port range of `worker` as the workers were given it (RTP_PORT_MIN..MAX split by slot). */
function rangeOf(app: App, workers: number, worker: number) {
  return workerRtpPortRange(app.config.rtp, workers, worker);
}

describe('RTP calls on media workers (externalMedia UnicastRTP) against the simulated Asterisk', () => {
  let h: AriHarness | undefined;
  let env: ApiEnv | undefined;
  afterEach(async () => {
    await h?.stop();
    await env?.close();
    h = undefined;
    env = undefined;
  }, 60_000);

  it('2 workers: RTP calls spread over both on their own ports, each caller hears its echo; hangups release all', async () => {
    h = await startRtpHarness({ MEDIA_WORKERS: '2' }, { routesJson: rtpRoutes({ kind: 'echo' }, 'ulaw') });
    const { app, sim } = h;
    const pool = app.mediaWorkers!;
    const calls = await placeCalls(app, sim, 4);
    expect(pool.workers.map((w) => w.calls)).toEqual([2, 2]);
    for (const c of calls) {
      // Asterisk sends to the port the call's worker bound, in that worker's share of the RTP range.
      const { minPort, maxPort } = rangeOf(app, 2, pool.workerOf(c.callId)!);
      expect(c.stream.target.port).toBeGreaterThanOrEqual(minPort);
      expect(c.stream.target.port).toBeLessThanOrEqual(maxPort);
      expect(c.stream.target.host).toBe('127.0.0.1');
    }
    for (const c of calls) await waitFor(() => hearsOwnEcho(c.stream, c.freq), WAIT_MS, `echo at ${c.freq} Hz`);
    // The primary carries no RTP: it bound no port of its own. /metrics counts the workers' ports.
    expect(app.rtpPorts.inUse).toBe(0);
    await until(async () => ((await metric(app, 'ava_rtp_ports_in_use')) === 4 ? true : undefined), WAIT_MS);
    // Strict source latch and payload types hold on the workers: every packet sent was read by its channel.
    for (const c of calls) expect(c.stream.dropped).toEqual({ payloadType: 0, source: 0, invalid: 0, rtcp: 0 });
    for (const c of calls) await c.caller.hangup();
    await waitFor(() => app.registry.size === 0, WAIT_MS, 'no live calls');
    // The UnicastRTP channels were hung up (DELETE) and the bridges destroyed.
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, WAIT_MS, 'nothing left');
    expect(pool.workers.map((w) => w.calls)).toEqual([0, 0]);
    // The ended calls' RTP counters, added up on the workers, reach the primary's /metrics; their ports are free.
    await until(async () => ((await metric(app, 'ava_rtp_packets_in_total')) > 100 ? true : undefined), WAIT_MS);
    expect(await metric(app, 'ava_rtp_packets_out_total')).toBeGreaterThan(100);
    await until(async () => ((await metric(app, 'ava_rtp_ports_in_use')) === 0 ? true : undefined), WAIT_MS);
  }, 120_000);

  it('3 workers: RTP calls spread and talk; REST hangup reaches each worker; SIGKILL of one ends only its calls as worker_failed', async () => {
    env = await startApiEnv({ ...rtpEnv(60), MEDIA_WORKERS: '3' }, { routesJson: rtpRoutes({ kind: 'echo' }, 'slin') });
    const { app, sim } = env.h;
    const pool = app.mediaWorkers!;
    const calls = await placeCalls(app, sim, 6);
    expect(pool.workers.map((w) => w.calls)).toEqual([2, 2, 2]);
    for (const c of calls) await waitFor(() => hearsOwnEcho(c.stream, c.freq), WAIT_MS, `echo at ${c.freq} Hz`);
    const repo = new CallsRepository(env.tmp.db);
    const ended = (callId: string) =>
      until(async () => ((await repo.get(callId))?.endedAt ? repo.get(callId) : undefined), WAIT_MS);
    const inject = (opts: InjectOptions) => app.http!.fastify.inject(opts);

    // REST hangup of one call on each worker.
    const byWorker = (w: number) => calls.filter((c) => pool.workerOf(c.callId) === w);
    const hungUp = [0, 1, 2].map((w) => byWorker(w)[0]!);
    for (const c of hungUp) {
      const res = await inject({ method: 'POST', url: `/v1/calls/${c.callId}/hangup`, headers: control });
      expect([res.statusCode, res.json()]).toEqual([200, { ended: true }]);
      expect((await ended(c.callId))?.closeReason).toBe('control_hangup');
      // The caller and its UnicastRTP channel are gone in Asterisk.
      await waitFor(
        () => sim.channels().every((ch) => ch.id !== c.caller.id && ch.id !== c.stream.channelId),
        WAIT_MS,
        'hung-up call gone in Asterisk',
      );
    }
    expect(pool.workers.map((w) => w.calls)).toEqual([1, 1, 1]);

    // SIGKILL of worker 0: only its call ends, recorded as worker_failed; the others talk on.
    const [killed] = byWorker(0).filter((c) => !hungUp.includes(c));
    const survivors = calls.filter((c) => c !== killed && !hungUp.includes(c));
    expect(survivors.map((c) => pool.workerOf(c.callId)).sort()).toEqual([1, 2]);
    const marks = survivors.map((c) => c.stream.received.length);
    const oldPid = pool.pidOf(0)!;
    process.kill(oldPid, 'SIGKILL');
    expect((await ended(killed!.callId))?.closeReason).toBe('worker_failed');
    await waitFor(
      () => sim.channels().every((ch) => ch.id !== killed!.caller.id && ch.id !== killed!.stream.channelId),
      WAIT_MS,
      'killed call hung up in Asterisk',
    );
    for (const c of survivors) expect(app.registry.get(c.callId)?.state).toBe('active');
    for (const [i, c] of survivors.entries())
      await waitFor(() => hearsOwnEcho(c.stream, c.freq, marks[i]), WAIT_MS, 'survivor echo after the kill');

    // The replacement takes the slot's ports again, and a new RTP call on it talks.
    await waitFor(() => pool.workers[0]!.ready && pool.pidOf(0) !== oldPid, WAIT_MS, 'worker 0 replaced');
    const [fresh] = await placeCalls(app, sim, 1);
    expect(pool.workerOf(fresh!.callId)).toBe(0);
    const { minPort, maxPort } = rangeOf(app, 3, 0);
    expect(fresh!.stream.target.port).toBeGreaterThanOrEqual(minPort);
    expect(fresh!.stream.target.port).toBeLessThanOrEqual(maxPort);
    await waitFor(() => hearsOwnEcho(fresh!.stream, fresh!.freq), WAIT_MS, 'echo on the replacement worker');
    for (const c of [...survivors, fresh!]) await c.caller.hangup();
    await waitFor(() => app.registry.size === 0, WAIT_MS, 'no live calls');
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, WAIT_MS, 'nothing left');
  }, 240_000);

  it('a worker with no free RTP port refuses the call as in one process (media_unavailable, logged); its live call goes on', async () => {
    // Two ports for two workers: one each.
    h = await startRtpHarness(
      { ...rtpEnv(2), MEDIA_WORKERS: '2' },
      { routesJson: rtpRoutes({ kind: 'echo' }, 'alaw') },
    );
    const { app, sim } = h;
    const pool = app.mediaWorkers!;
    const calls = await placeCalls(app, sim, 2);
    expect(pool.workers.map((w) => w.calls)).toEqual([1, 1]);
    const marks = calls.map((c) => c.stream.received.length);
    const refused = await sim.placeInboundCall({ caller: '+4930199' });
    await refused.ended;
    await waitFor(() => h!.logs.find(/call refused: no free RTP port/).length === 1, WAIT_MS, 'refusal logged');
    const line = h.logs.find(/call refused: no free RTP port/)[0]!;
    expect(line.callId).toBeDefined();
    expect(line.err).toMatchObject({ code: 'RTP_PORTS_EXHAUSTED' });
    const ended = h.logs.find('call ending').find((l) => l.callId === line.callId);
    expect(ended).toMatchObject({ reason: 'media_unavailable' });
    await until(async () => ((await metric(app, 'ava_rtp_port_refusals_total')) === 1 ? true : undefined), WAIT_MS);
    // No UnicastRTP channel was made for it, and the live calls talk on.
    expect(sim.rtpStreams()).toHaveLength(2);
    for (const [i, c] of calls.entries())
      await waitFor(() => hearsOwnEcho(c.stream, c.freq, marks[i]), WAIT_MS, 'live call echo after the refusal');
    // The port of an ended call serves the next call on that worker.
    await calls[0]!.caller.hangup();
    await waitFor(() => pool.workers[0]!.calls === 0, WAIT_MS, 'worker 0 free');
    const [next] = await placeCalls(app, sim, 1);
    expect(next!.stream.target.port).toBe(calls[0]!.stream.target.port);
    await waitFor(() => hearsOwnEcho(next!.stream, next!.freq), WAIT_MS, 'echo on the reused port');
    for (const c of [calls[1]!, next!]) await c.caller.hangup();
    await waitFor(() => app.registry.size === 0, WAIT_MS, 'no live calls');
  }, 120_000);

  it('an RTP call goes to a worker with a free port of its share, though another worker has fewer calls', async () => {
    // Four ports for two workers: two each. An AudioSocket route beside the RTP one makes the loads differ.
    h = await startRtpHarness(
      { ...rtpEnv(4), MEDIA_WORKERS: '2' },
      {
        routesJson: {
          routes: [
            { name: 'plain', match: { stasisArg: 'plain' }, agent: { kind: 'echo' } },
            ...(rtpRoutes({ kind: 'echo' }, 'alaw') as { routes: unknown[] }).routes,
          ],
        },
      },
    );
    const { app, sim } = h;
    const pool = app.mediaWorkers!;
    const plain = [];
    for (let i = 0; i < 4; i++) {
      const caller = await sim.placeInboundCall({ stasisArgs: ['plain'], caller: `+49302${i}` });
      await waitFor(() => app.registry.get(caller.id)?.state === 'active', WAIT_MS, `plain call ${i} active`);
      plain.push(caller);
    }
    expect(pool.workers.map((w) => w.calls)).toEqual([2, 2]);
    // Worker 0 loses its AudioSocket calls: it is the least loaded, and takes the next two RTP calls (its two ports).
    for (const c of plain) if (pool.workerOf(app.registry.get(c.id)!.id) === 0) await c.hangup();
    await waitFor(() => pool.workers[0]!.calls === 0, WAIT_MS, 'worker 0 idle');
    const rtp = await placeCalls(app, sim, 2);
    expect(rtp.map((c) => pool.workerOf(c.callId))).toEqual([0, 0]);
    // Both workers now hold two calls; worker 0 has no free port, so the third RTP call goes to worker 1.
    const [third] = await placeCalls(app, sim, 1);
    expect(pool.workerOf(third!.callId)).toBe(1);
    expect(third!.stream.target.port).toBeGreaterThanOrEqual(rangeOf(app, 2, 1).minPort);
    await waitFor(() => hearsOwnEcho(third!.stream, third!.freq), WAIT_MS, 'echo of the third call');
    expect(h.logs.find(/call refused: no free RTP port/)).toHaveLength(0);
  }, 120_000);

  it('an Asterisk that never sends on the UnicastRTP channel: the watchdog in the primary ends the call as media_timeout', async () => {
    h = await startRtpHarness(
      { MEDIA_WORKERS: '2', MEDIA_SILENCE_CHECK_MS: '1000' },
      { routesJson: rtpRoutes({ kind: 'echo' }, 'ulaw') },
    );
    const { app, sim } = h;
    const caller = await sim.placeInboundCall({});
    await waitFor(() => sim.rtpStreams().length === 1, WAIT_MS, 'RTP stream');
    // Not one packet from Asterisk, from the start.
    sim.rtpStreams()[0]!.dropNext(1_000_000);
    await waitFor(() => app.registry.get(caller.id)?.state === 'active', WAIT_MS, 'call active');
    const session = app.registry.get(caller.id)!;
    expect(app.mediaWorkers!.workerOf(session.id)).toBeDefined();
    // While the channel exists the call is kept through a check; once ARI no longer knows it, the call ends.
    await waitFor(() => h!.logs.raw.some((l) => l.includes('still up in Asterisk')), WAIT_MS, 'first check keeps it');
    expect(session.closing).toBe(false);
    expect(sim.forgetChannel(caller.id)).toBe(true);
    await session.done;
    expect(session.endSummary?.reason).toBe('media_timeout');
    await waitFor(() => app.mediaWorkers!.workers.every((w) => w.calls === 0), WAIT_MS, 'worker released the call');
  }, 60_000);

  it('the RTP rules hold on a worker: it sends from the first tick to an Asterisk that waits for audio, and drops a stranger', async () => {
    h = await startRtpHarness(
      { MEDIA_WORKERS: '2' },
      { routesJson: rtpRoutes({ kind: 'echo' }, 'slin16'), sim: { rtp: { waitForAudio: true } } },
    );
    const { app, sim } = h;
    const [call] = await placeCalls(app, sim, 1);
    const { stream } = call!;
    // Asterisk read our silence before it sent anything; slin16 goes back as 8 kHz L16 (RTP_SLIN16_SEND=slin).
    await waitFor(() => stream.received.length > 0, WAIT_MS, 'first packet from the worker');
    expect(stream.received[0]!.data.every((b) => b === 0)).toBe(true);
    expect(stream.received[0]!.rate).toBe(8000);
    // Packets from another source to the worker's port are dropped: the caller hears only its own echo.
    const stranger = createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()));
    try {
      const noise = Buffer.alloc(640);
      for (let i = 0; i < noise.length; i += 2) noise.writeInt16BE(i % 4 === 0 ? 30000 : -30000, i);
      for (let i = 0; i < 20; i++) {
        const packet = encodeRtp({
          marker: false,
          payloadType: 118,
          sequence: i,
          timestamp: i * 320,
          ssrc: 7,
          payload: noise,
        });
        stranger.send(packet, stream.target.port, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      stranger.close();
    }
    const mark = stream.received.length;
    // The 8 kHz tone of `placeCalls` plays at 16 kHz on a slin16 call: twice its frequency, heard back at 8 kHz.
    await waitFor(() => hearsOwnEcho(stream, call!.freq * 2, mark), WAIT_MS, 'own echo after the stranger');
    const samples = receivedPcm({ received: stream.received.slice(mark) } as SimUnicastRtp);
    expect(samples.every((v) => Math.abs(v) < 20_000)).toBe(true);
    await call!.caller.hangup();
    await waitFor(() => app.registry.size === 0 && sim.channels().length === 0, WAIT_MS, 'nothing left');
    await until(async () => ((await metric(app, 'ava_rtp_wrong_source_total')) === 20 ? true : undefined), WAIT_MS);
  }, 60_000);

  it('shutdown with live RTP calls on both workers: they end as shutdown, callers and UnicastRTP channels are hung up', async () => {
    h = await startRtpHarness({ MEDIA_WORKERS: '2' }, { routesJson: rtpRoutes({ kind: 'echo' }, 'ulaw') });
    const { app, sim } = h;
    const calls = await placeCalls(app, sim, 2);
    expect(app.mediaWorkers!.workers.map((w) => w.calls)).toEqual([1, 1]);
    const sessions = calls.map((c) => app.registry.get(c.callId)!);
    await app.stop(500);
    for (const s of sessions) {
      await s.done;
      expect(s.endSummary?.reason).toBe('shutdown');
    }
    for (const c of calls) await c.caller.ended;
    await waitFor(() => sim.channels().length === 0, WAIT_MS, 'callers and UnicastRTP channels hung up');
    await sim.close();
    h = undefined;
  }, 60_000);
});
