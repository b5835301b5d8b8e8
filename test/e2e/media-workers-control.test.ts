import { afterEach, describe, expect, it } from 'vitest';
import type { LifecycleEvent } from '../../src/calls/call-lifecycle.js';
import { CallEventsRepository } from '../../src/db/call-events-repository.js';
import { CallsRepository } from '../../src/db/calls-repository.js';
import type { ResponseContext } from '../../src/simulator/realtime/realtime-sim-session.js';
import type { ResponsePlan } from '../../src/simulator/realtime/sim-response.js';
import { type RealtimeSimulator, startRealtimeSimulator } from '../../src/simulator/realtime/realtime-simulator.js';
import { type ApiEnv, control, startApiEnv } from '../integration/http/http-test-env.js';
import {
  callerBurst,
  onlySession,
  REALTIME_KEY,
  type RealtimeHarness,
  startRealtimeHarness,
  voicedMs,
} from '../support/realtime-harness.js';
import { until, waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const PERSON = 'PJSIP/200';
const SUMMARY = 'Alice Smith wants a refund for order 42; she was charged twice.';
const SUMMARY_AUDIO_MS = 800;
const STEPS = [
  'call.transfer_started',
  'call.transfer_ringing',
  'call.transfer_answered',
  'call.transfer_summary_played',
  'call.transfer_completed',
];

describe('commands reach calls whose media and agent are on media workers', () => {
  let env: ApiEnv | undefined;
  let rt: RealtimeHarness | undefined;
  let sim: RealtimeSimulator | undefined;
  afterEach(async () => {
    await env?.close();
    await rt?.stop();
    await sim?.close();
    env = undefined;
    rt = undefined;
    sim = undefined;
  }, 60_000);

  it('REST warm transfer of a call on a worker: answered, then caller and person are bridged', async () => {
    env = await startApiEnv(
      { MEDIA_WORKERS: '2' },
      {
        routesJson: {
          routes: [
            {
              name: 'desk',
              agent: { kind: 'echo' },
              transfer: { warm: { hold: 'moh', prompt: ['sound:transfer-intro'] } },
            },
          ],
        },
      },
    );
    const { h } = env;
    h.sim.setEndpointBehaviour(PERSON, 'answer', { ringMs: 100 });
    const caller = await h.sim.placeInboundCall();
    await waitFor(() => h.app.registry.list()[0]?.state === 'active', WAIT_MS, 'call active');
    const callId = h.app.registry.list()[0]!.id;
    expect(h.app.mediaWorkers!.workerOf(callId)).toBeDefined();
    const res = await h.app.http!.fastify.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/transfer`,
      headers: control,
      payload: { target: PERSON, mode: 'warm', reason: 'billing question' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: true });
    const db = h.app.db!;
    const rows = await until(
      async () => {
        const r = await new CallEventsRepository(db).listByCall(callId);
        return r.at(-1)?.type === 'call.ended' ? r : undefined;
      },
      WAIT_MS,
      'stored events',
    );
    expect(rows.map((r) => r.type).filter((t) => t.startsWith('call.transfer_'))).toEqual(STEPS);
    expect(await new CallsRepository(db).get(callId)).toMatchObject({ closeReason: 'transferred' });
    // The caller is with the person, in the holding bridge; the worker let go of the call.
    expect(caller.alive).toBe(true);
    const person = h.sim.channels().find((c) => c.id !== caller.id)!;
    expect([...h.sim.bridges()[0]!.channels].sort()).toEqual([caller.id, person.id].sort());
    expect(h.app.mediaWorkers!.workers.map((w) => w.calls)).toEqual([0, 0]);
    await caller.hangup();
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, WAIT_MS, 'nothing left');
  }, 90_000);

  it('a Realtime agent on a worker starts a warm transfer and speaks the summary to the person', async () => {
    const seen: { summary?: boolean } = {};
    const script = ({ index, params }: ResponseContext): ResponsePlan => {
      if ((params?.metadata as { purpose?: string } | undefined)?.purpose === 'transfer-summary') {
        seen.summary = true;
        return { audioMs: SUMMARY_AUDIO_MS, transcript: 'Hi, I have Alice on the line about a double charge.' };
      }
      if (index === 0)
        return {
          audioMs: 300,
          transcript: 'Let me connect you with billing.',
          functionCalls: [
            { name: 'warm_transfer', arguments: { target: 'billing', summary: SUMMARY, reason: 'refund' } },
          ],
        };
      return { audioMs: 300, transcript: 'Sorry, billing is busy.' };
    };
    rt = await startRealtimeHarness({
      agent: {
        builtinTools: {
          warmTransfer: { destinations: { billing: { endpoint: PERSON, description: 'billing team' } } },
        },
      },
      sim: { script },
      useServiceFactory: true,
      env: { MEDIA_WORKERS: '2' },
    });
    rt.h.sim.setEndpointBehaviour(PERSON, 'answer', { ringMs: 200 });
    const caller = await rt.h.sim.placeInboundCall({ audio: { type: 'samples', samples: callerBurst(8000) } });
    await waitFor(() => rt!.h.app.registry.size === 1, WAIT_MS);
    const session = onlySession(rt.h);
    const events: LifecycleEvent[] = [];
    session.on('event', (e) => events.push(e));
    await waitFor(() => rt!.h.app.mediaWorkers!.workerOf(session.id) !== undefined, WAIT_MS, 'on a worker');
    await session.done;
    expect(session.endSummary?.reason).toBe('transferred');
    expect(events.filter((e) => e.type.startsWith('transfer.')).map((e) => e.type)).toEqual([
      'transfer.started',
      'transfer.ringing',
      'transfer.answered',
      'transfer.summary_played',
      'transfer.completed',
    ]);
    // The agent on the worker spoke the summary (asked out of band with the model's words), heard on the leg.
    expect(events.find((e) => e.type === 'transfer.summary_played')?.data).toMatchObject({ via: 'agent' });
    expect(seen.summary).toBe(true);
    const s = rt.sim.sessions[0]!;
    const create = s.log.find(
      (e) =>
        e.direction === 'in' &&
        e.type === 'response.create' &&
        (e.event.response as { metadata?: { purpose?: string } } | undefined)?.metadata?.purpose === 'transfer-summary',
    );
    expect((create!.event.response as { instructions: string }).instructions).toContain(SUMMARY);
    expect(voicedMs(rt.h, 8000)).toBeGreaterThanOrEqual(300 + SUMMARY_AUDIO_MS);
    const person = rt.h.sim.channels().find((c) => c.id !== caller.id)!;
    await waitFor(() => rt!.h.sim.bridges()[0]?.channels.length === 2, WAIT_MS, 'caller and person bridged');
    expect([...rt.h.sim.bridges()[0]!.channels].sort()).toEqual([caller.id, person.id].sort());
    await caller.hangup();
  }, 90_000);

  it('send-message reaches the Realtime agent on a worker; an echo agent there refuses it', async () => {
    sim = await startRealtimeSimulator({
      apiKey: REALTIME_KEY,
      speed: Number.POSITIVE_INFINITY,
      script: () => ({ audioMs: 200, transcript: 'Noted.' }),
    });
    env = await startApiEnv(
      { MEDIA_WORKERS: '2', RT_KEY: REALTIME_KEY },
      {
        routesJson: {
          routes: [
            {
              name: 'realtime',
              match: { extension: '100' },
              agent: { kind: 'openai-realtime', url: sim.url, secretEnv: 'RT_KEY' },
            },
            { name: 'echo', match: { extension: '200' }, agent: { kind: 'echo' } },
          ],
        },
      },
    );
    const { h } = env;
    const post = (callId: string, payload: Record<string, unknown>) =>
      h.app.http!.fastify.inject({ method: 'POST', url: `/v1/calls/${callId}/messages`, headers: control, payload });
    const rtCaller = await h.sim.placeInboundCall({ extension: '100' });
    await waitFor(() => h.app.registry.get(rtCaller.id)?.state === 'active', WAIT_MS, 'realtime call active');
    const rtCall = h.app.registry.get(rtCaller.id)!.id;
    const echoCaller = await h.sim.placeInboundCall({ extension: '200' });
    await waitFor(() => h.app.registry.get(echoCaller.id)?.state === 'active', WAIT_MS, 'echo call active');
    const echoCall = h.app.registry.get(echoCaller.id)!.id;
    expect(new Set([rtCall, echoCall].map((id) => h.app.mediaWorkers!.workerOf(id)))).toEqual(new Set([0, 1]));

    const res = await post(rtCall, { text: 'The caller is a premium customer.' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: true });
    const s = await sim.waitForSession(0);
    const item = await s.waitForReceived(
      'conversation.item.create',
      (e) => JSON.stringify(e.item).includes('The caller is a premium customer.'),
      WAIT_MS,
    );
    expect(item).toBeDefined();
    await s.waitForReceived('response.create', () => true, WAIT_MS);

    const refused = await post(echoCall, { text: 'hello' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toContain('echo');
    await rtCaller.hangup();
    await echoCaller.hangup();
    await waitFor(() => h.app.registry.size === 0, WAIT_MS, 'no live calls');
  }, 90_000);
});
