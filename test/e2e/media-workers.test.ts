import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { createApp } from '../../src/app.js';
import type { CallLifecycleEvent } from '../../src/calls/call-session.js';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import { loadConfig } from '../../src/config/load-config.js';
import { CallsRepository } from '../../src/db/calls-repository.js';
import type { SimulatedChannel } from '../../src/simulator/ari/simulated-channel.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { type ApiEnv, control, reader, startApiEnv } from '../integration/http/http-test-env.js';
import { startTestApp } from '../support/app-harness.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import {
  type ChanWebSocketHarness,
  startChanWebSocketHarness,
  websocketRoutes,
} from '../support/chan-websocket-harness.js';
import { until, waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const FREQS = [500, 700, 900, 1100, 1300, 1500];
const LEVEL = 8000;

/** Agent audio one AudioSocket leg received (towards its caller), from frame `from` on, silence trimmed. */
function voiced(media: SimulatedAudioSocketCall, from = 0): Int16Array {
  const frames = media.received.slice(from).filter((f) => f.kind === 0x10 && f.payload);
  return trimSilence(pcmSamples(Buffer.concat(frames.map((f) => f.payload!))));
}

/** Whether `media` carries back the caller's own tone (`freq`): the echo agent on its worker is working. */
function hearsOwnEcho(media: SimulatedAudioSocketCall, freq: number, from = 0): boolean {
  const samples = voiced(media, from);
  if (samples.length < 8000) return false;
  const tone = generateTone({ rate: 8000, freq, amplitude: LEVEL, ms: 200 });
  const m = toneWindowMatch(samples, 8000, freq, rmsDbfs(tone));
  return m.windows >= 10 && m.share >= 0.9;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Placed {
  caller: SimulatedChannel;
  media: SimulatedAudioSocketCall;
  callId: string;
  freq: number;
  /** True once the AudioSocket connection ended. */
  readonly mediaClosed: () => boolean;
}

/** Places `n` inbound calls one after the other, each with its own looping tone, and waits for each one's media. */
async function placeCalls(app: App, sim: AriHarness['sim'], media: SimulatedAudioSocketCall[], n: number) {
  const placed: Placed[] = [];
  for (let i = 0; i < n; i++) {
    const freq = FREQS[placed.length % FREQS.length]!;
    const samples = generateTone({ rate: 8000, freq, amplitude: LEVEL, ms: 1000 });
    const before = media.length;
    const caller = await sim.placeInboundCall({
      caller: `+49301${i}`,
      extension: '100',
      audio: { type: 'samples', samples, loop: true },
    });
    await waitFor(() => media.length === before + 1, WAIT_MS, `media of call ${i}`);
    await waitFor(() => app.registry.get(caller.id)?.state === 'active', WAIT_MS, `call ${i} active`);
    const leg = media[before]!;
    let closed = false;
    void leg.closed.then(() => {
      closed = true;
    });
    placed.push({ caller, media: leg, callId: app.registry.get(caller.id)!.id, freq, mediaClosed: () => closed });
  }
  return placed;
}

describe('media workers against the simulated Asterisk', () => {
  let h: AriHarness | undefined;
  let env: ApiEnv | undefined;
  let direct: App | undefined;
  let agent: NativeEchoAgent | undefined;
  let ws: ChanWebSocketHarness | undefined;
  afterEach(async () => {
    await ws?.stop();
    ws = undefined;
    await agent?.close();
    agent = undefined;
    await h?.stop();
    await env?.close();
    await direct?.stop(1000);
    h = undefined;
    env = undefined;
    direct = undefined;
  }, 60_000);

  it('2 workers: Stasis calls spread over both, each caller hears its own echo, hangups leave nothing behind', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo', MEDIA_WORKERS: '2' });
    const pool = h.app.mediaWorkers!;
    expect(pool.workers.map((w) => w.ready)).toEqual([true, true]);
    const calls = await placeCalls(h.app, h.sim, h.media, 4);
    expect(pool.workers.map((w) => w.calls)).toEqual([2, 2]);
    expect(new Set(calls.map((c) => pool.workerOf(c.callId)))).toEqual(new Set([0, 1]));
    for (const c of calls) await waitFor(() => hearsOwnEcho(c.media, c.freq), WAIT_MS, `echo at ${c.freq} Hz`);
    // The primary carries no media: its own AudioSocket server never had these calls.
    expect(h.app.audioSocket.connections.size).toBe(0);
    // /metrics of the primary aggregates the workers' media counters and shows each worker's calls.
    const scrape = async () => (await h!.app.metrics.render()).body;
    const metric = (body: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1] ?? 0);
    await until(async () => (metric(await scrape(), 'ava_audio_frames_in_total') > 100 ? true : undefined), WAIT_MS);
    const body = await scrape();
    expect(metric(body, 'ava_audio_frames_out_total')).toBeGreaterThan(100);
    expect(metric(body, 'ava_clock_ticks_total')).toBeGreaterThan(0);
    expect(body).toContain('ava_media_worker_calls{worker="0"} 2');
    expect(body).toContain('ava_media_worker_calls{worker="1"} 2');
    expect(body).toContain('ava_media_worker_up{worker="1"} 1');
    for (const c of calls) await c.caller.hangup();
    await waitFor(() => h!.app.registry.size === 0, WAIT_MS, 'no live calls');
    await waitFor(() => h!.sim.channels().length === 0 && h!.sim.bridges().length === 0, WAIT_MS, 'nothing left');
    expect(pool.workers.map((w) => w.calls)).toEqual([0, 0]);
    await waitFor(() => calls.every((c) => c.mediaClosed()), WAIT_MS, 'media legs closed');
  }, 120_000);

  it('SIGKILL of one worker ends only its calls (recorded as worker_failed); it is replaced, the others talk on', async () => {
    env = await startApiEnv({ MEDIA_WORKERS: '2' });
    const { app, sim, media } = env.h;
    const pool = app.mediaWorkers!;
    const calls = await placeCalls(app, sim, media, 4);
    const onKilled = calls.filter((c) => pool.workerOf(c.callId) === 0);
    const survivors = calls.filter((c) => pool.workerOf(c.callId) === 1);
    expect([onKilled.length, survivors.length]).toEqual([2, 2]);
    const oldPid = pool.pidOf(0)!;
    const marks = survivors.map((c) => c.media.received.length);
    process.kill(oldPid, 'SIGKILL');

    await waitFor(() => onKilled.every((c) => !app.registry.get(c.callId)), WAIT_MS, 'killed worker calls ended');
    const repo = new CallsRepository(env.tmp.db);
    for (const c of onKilled) {
      const row = await until(
        async () => ((await repo.get(c.callId))?.endedAt ? repo.get(c.callId) : undefined),
        WAIT_MS,
      );
      expect(row?.closeReason).toBe('worker_failed');
      // The caller was hung up in Asterisk, not left in a silent bridge.
      await waitFor(() => sim.channels().every((ch) => ch.id !== c.caller.id), WAIT_MS, 'killed call hung up');
    }
    // The other worker's calls are untouched and keep talking.
    for (const c of survivors) expect(app.registry.get(c.callId)?.state).toBe('active');
    for (const [i, c] of survivors.entries())
      await waitFor(() => hearsOwnEcho(c.media, c.freq, marks[i]), WAIT_MS, 'survivor echo after the kill');

    await waitFor(() => pool.workers[0]!.ready && pool.pidOf(0) !== oldPid, WAIT_MS, 'worker 0 replaced');
    expect(pool.workers[0]!.restarts).toBe(1);
    // A new call goes to the replacement (it has the fewest calls) and talks.
    const [fresh] = await placeCalls(app, sim, media, 1);
    expect(pool.workerOf(fresh!.callId)).toBe(0);
    await waitFor(() => hearsOwnEcho(fresh!.media, fresh!.freq), WAIT_MS, 'echo on the replacement worker');
    for (const c of [...survivors, fresh!]) await c.caller.hangup();
    await waitFor(() => app.registry.size === 0, WAIT_MS, 'no live calls');
  }, 180_000);

  it('3 workers: REST hangup and transfer reach calls on every worker and are recorded', async () => {
    env = await startApiEnv({ MEDIA_WORKERS: '3' });
    const { app, sim, media } = env.h;
    const pool = app.mediaWorkers!;
    const calls = await placeCalls(app, sim, media, 3);
    expect(calls.map((c) => pool.workerOf(c.callId)).sort()).toEqual([0, 1, 2]);
    for (const c of calls) await waitFor(() => hearsOwnEcho(c.media, c.freq), WAIT_MS, `echo at ${c.freq} Hz`);
    const inject = (opts: InjectOptions) => app.http!.fastify.inject(opts);
    const repo = new CallsRepository(env.tmp.db);
    const post = (c: Placed, action: string, payload?: Record<string, unknown>) =>
      inject({
        method: 'POST',
        url: `/v1/calls/${c.callId}/${action}`,
        headers: control,
        ...(payload ? { payload } : {}),
      });
    // Warm transfer of a worker's call: test/e2e/media-workers-control.test.ts.
    for (const c of calls) {
      const worker = pool.workerOf(c.callId);
      const blind = c === calls[1];
      const res = blind ? await post(c, 'transfer', { target: 'PJSIP/200' }) : await post(c, 'hangup');
      expect([res.statusCode, res.json()]).toEqual([200, blind ? { accepted: true } : { ended: true }]);
      const row = await until(
        async () => ((await repo.get(c.callId))?.endedAt ? repo.get(c.callId) : undefined),
        WAIT_MS,
      );
      expect(row?.closeReason).toBe(blind ? 'transferred' : 'control_hangup');
      // The call's record names the worker that held its media (`ava call get` shows it).
      const get = await inject({ method: 'GET', url: `/v1/calls/${c.callId}`, headers: reader });
      const connected = get.json().events.find((e: { type: string }) => e.type === 'call.media_connected');
      expect(connected?.payload?.mediaWorker).toBe(worker);
      // The worker closed its leg.
      await waitFor(() => c.mediaClosed(), WAIT_MS, 'media leg closed by the worker');
    }
    for (const c of calls) if (c !== calls[1]) expect(sim.channels().some((ch) => ch.id === c.caller.id)).toBe(false);
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, WAIT_MS, 'nothing left');
    expect(pool.workers.map((w) => w.calls)).toEqual([0, 0, 0]);
  }, 180_000);

  it('drain across workers: stop() refuses new calls, waits for the live ones on every worker, then stops them', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo', MEDIA_WORKERS: '2' });
    const { app, sim, media } = h;
    const pool = app.mediaWorkers!;
    const calls = await placeCalls(app, sim, media, 2);
    expect(pool.workers.map((w) => w.calls)).toEqual([1, 1]);
    const pids = [pool.pidOf(0)!, pool.pidOf(1)!];
    let stopped = false;
    const stopping = app.stop(60_000).then(() => {
      stopped = true;
    });
    await waitFor(() => !app.accepting, WAIT_MS, 'stopped accepting');
    // A new call is refused while the live ones go on talking on both workers.
    const refused = await sim.placeInboundCall({ caller: '+4930199', extension: '100' });
    await waitFor(() => sim.channels().every((ch) => ch.id !== refused.id), WAIT_MS, 'new call refused');
    const marks = calls.map((c) => c.media.received.length);
    for (const [i, c] of calls.entries())
      await waitFor(() => hearsOwnEcho(c.media, c.freq, marks[i]), WAIT_MS, 'echo during the drain');
    expect(stopped).toBe(false);
    for (const c of calls) await c.caller.hangup();
    await stopping;
    expect(app.registry.size).toBe(0);
    // The workers are gone with the primary's stop.
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    await h.sim.close();
    h = undefined;
  }, 120_000);

  it('2 workers: dialplan-direct calls are handed over to the workers with their first bytes, and each echoes', async () => {
    const started = await startTestApp({ DEFAULT_AGENT: 'echo', MEDIA_WORKERS: '2' });
    direct = started.app;
    const pool = direct.mediaWorkers!;
    const calls: { call: SimulatedAudioSocketCall; tone: Buffer }[] = [];
    for (const [i, freq] of FREQS.slice(0, 4).entries()) {
      const samples = generateTone({ rate: 8000, freq, amplitude: LEVEL, ms: 1000 });
      const call = await dialAudioSocket({
        host: '127.0.0.1',
        port: started.port,
        uuid: randomUUID(),
        source: { type: 'samples', samples },
        onSourceEnd: 'silence',
      });
      calls.push({ call, tone: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength) });
      await waitFor(() => direct!.registry.size === i + 1, WAIT_MS, `direct call ${i}`);
    }
    expect(pool.workers.map((w) => w.calls)).toEqual([2, 2]);
    // The primary accepted and admitted the sockets, then handed them over: it serves none of them.
    expect(direct.audioSocket.connections.size).toBe(0);
    for (const { call, tone } of calls) {
      // The echo holds the tone exactly from its first sample: no byte read by the primary was lost.
      await waitFor(() => call.receivedAudio().indexOf(tone.subarray(0, 3200)) >= 0, WAIT_MS, 'echo of the tone');
      expect(direct.registry.get(call.uuid)?.state).toBe('active');
    }
    const sessions = calls.map(({ call }) => direct!.registry.get(call.uuid)!);
    for (const { call } of calls) call.hangup();
    await Promise.all(sessions.map((s) => s.done));
    expect(sessions.map((s) => s.endSummary?.reason)).toEqual(Array(4).fill('caller_hangup'));
    expect(direct.registry.size).toBe(0);
    await waitFor(() => pool.workers.every((w) => w.calls === 0), WAIT_MS, 'workers idle');
  }, 120_000);

  it('2 workers: the dead-leg watchdog ends a call whose caller media stopped and channel is gone (media_timeout)', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo', MEDIA_WORKERS: '2', MEDIA_SILENCE_CHECK_MS: '1000' });
    const { app, sim, media } = h;
    const pool = app.mediaWorkers!;
    const [quiet, talking] = await placeCalls(app, sim, media, 2);
    expect(pool.workerOf(quiet!.callId)).not.toBe(pool.workerOf(talking!.callId));
    const session = app.registry.get(quiet!.callId)!;
    const events: CallLifecycleEvent[] = [];
    session.on('event', (e) => events.push(e));
    // Asterisk goes quiet on the worker's leg, and the caller channel's end is lost (no events).
    quiet!.media.stopSendingFor(60_000);
    await waitFor(() => quiet!.media.wireGapActive, WAIT_MS, 'quiet on the wire');
    // While the channel exists the call is kept through a check (the primary asks ARI).
    await waitFor(() => h!.logs.raw.some((l) => l.includes('still up in Asterisk')), WAIT_MS, 'first check keeps it');
    expect(session.closing).toBe(false);
    expect(sim.forgetChannel(quiet!.caller.id)).toBe(true);
    await session.done;
    expect(session.endSummary?.reason).toBe('media_timeout');
    expect(events.find((e) => e.type === 'media.timeout')?.data).toMatchObject({
      cause: 'channel_gone',
      liveness: { kind: 'gone', channel: 'caller' },
    });
    await waitFor(() => quiet!.mediaClosed(), WAIT_MS, 'the worker closed the dead leg');
    // The other call, on the other worker, talks on.
    expect(app.registry.get(talking!.callId)?.state).toBe('active');
    const mark = talking!.media.received.length;
    await waitFor(() => hearsOwnEcho(talking!.media, talking!.freq, mark), WAIT_MS, 'the other call still echoes');
    await talking!.caller.hangup();
    await waitFor(() => app.registry.size === 0, WAIT_MS, 'no live calls');
  }, 120_000);

  it('2 workers: a native agent on a worker gets the hang-up cause Asterisk gave in its hangup event', async () => {
    agent = await startNativeEchoAgent({ mode: 'echo', secret: 'agent-secret' });
    h = await startAriHarness(
      { AGENT_SECRET: 'agent-secret', MEDIA_WORKERS: '2' },
      {
        routesJson: {
          routes: [{ name: 'native', agent: { kind: 'websocket', url: agent.url, secretEnv: 'AGENT_SECRET' } }],
        },
      },
    );
    h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', { ringMs: 50 });
    const r = await h.app.stasis!.originate({ endpoint: 'PJSIP/trunk', route: h.app.routes.byName('native')! });
    const s = await agent.waitForSession(0);
    await s.waitForEvent('answer');
    expect(h.app.mediaWorkers!.workerOf(r.callId)).toBeDefined();
    // The callee hangs up: Asterisk reports the channel destroyed with cause 16 (normal clearing).
    const callee = h.sim.channel(h.app.registry.get(r.callId)!.info.channelId!)!;
    await callee.hangup();
    expect(await s.waitForEvent('hangup')).toMatchObject({ initiator: 'caller', reason: 'caller_hangup', cause: 16 });
    await waitFor(() => h!.app.registry.size === 0, WAIT_MS, 'no live calls');
  }, 120_000);

  it('2 workers: chan_websocket calls spread over both; each worker connects its own media socket and echoes', async () => {
    ws = await startChanWebSocketHarness(
      { MEDIA_WORKERS: '2' },
      { routesJson: websocketRoutes({ kind: 'echo' }, { audioFormat: 'slin16' }) },
    );
    const pool = ws.app.mediaWorkers!;
    const freqs = FREQS.slice(0, 4);
    const callers: SimulatedChannel[] = [];
    for (const [i, freq] of freqs.entries()) {
      const samples = generateTone({ rate: 16000, freq, amplitude: LEVEL, ms: 1000 });
      callers.push(
        await ws.sim.placeInboundCall({ caller: `+49302${i}`, audio: { type: 'samples', samples, loop: true } }),
      );
      await waitFor(() => ws!.media.length === i + 1, WAIT_MS, `media socket of call ${i}`);
      await waitFor(() => ws!.app.registry.get(callers[i]!.id)?.state === 'active', WAIT_MS, `call ${i} active`);
    }
    const callIds = callers.map((c) => ws!.app.registry.get(c.id)!.id);
    expect(pool.workers.map((w) => w.calls)).toEqual([2, 2]);
    expect(new Set(callIds.map((id) => pool.workerOf(id)))).toEqual(new Set([0, 1]));
    // The primary holds no media of them: no local bridge in any session.
    for (const c of callers) expect(ws.app.registry.get(c.id)?.bridge).toBeUndefined();
    for (const [i, freq] of freqs.entries()) {
      const conn = ws.media[i]!;
      const heard = () => trimSilence(pcmSamples(Buffer.concat(conn.played.map((f) => f.data))));
      const tone = generateTone({ rate: 16000, freq, amplitude: LEVEL, ms: 200 });
      await waitFor(
        () => {
          const m = toneWindowMatch(heard(), 16000, freq, rmsDbfs(tone));
          return m.windows >= 10 && m.share >= 0.9;
        },
        WAIT_MS,
        `echo at ${freq} Hz`,
      );
      expect(conn.format).toBe('slin16');
      expect(conn.violations).toEqual([]);
    }
    for (const c of callers) await c.hangup();
    await waitFor(() => ws!.app.registry.size === 0, WAIT_MS, 'no live calls');
    await waitFor(() => ws!.sim.channels().length === 0 && ws!.sim.bridges().length === 0, WAIT_MS, 'nothing left');
    expect(pool.workers.map((w) => w.calls)).toEqual([0, 0]);
  }, 120_000);

  it('refuses at start a route that cannot run on workers yet, naming it', () => {
    const routes = [{ name: 'amd-route', match: {}, amd: { mode: 'adapter' }, agent: { kind: 'echo' } }];
    const config = loadConfig({
      env: { MEDIA_WORKERS: '2', ROUTES_FILE: 'routes.json', VAD: 'off', HTTP_ENABLED: 'false' },
      readFile: () => JSON.stringify({ routes }),
    });
    expect(() => createApp(config)).toThrow(/MEDIA_WORKERS=2: route "amd-route": answering-machine detection/);
  });
});
