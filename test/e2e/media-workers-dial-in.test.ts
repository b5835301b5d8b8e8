import { afterEach, describe, expect, it } from 'vitest';
import type { CallLifecycleEvent } from '../../src/calls/call-session.js';
import { dialInNativeAgent } from '../../src/simulator/agents/dial-in-client.js';
import type { NativeAgentSession } from '../../src/simulator/agents/native-echo-agent.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { untilClaimed } from '../support/until-claimed.js';
import { waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const AGENT_TOKEN = 'agent-token-0123456789';

/**
 * A dial-in call on a media worker waits for its agent in the primary (where /v1/agents/ws is). These tests check
 * that such a wait ends with its call, whatever ends the call first, so no agent is ever paired with a call that
 * is gone.
 */
describe('dial-in calls on media workers: the wait in the primary ends with the call', () => {
  let h: AriHarness | undefined;
  const agents: NativeAgentSession[] = [];
  afterEach(async () => {
    for (const a of agents) await a.close().catch(() => undefined);
    agents.length = 0;
    await h?.stop();
    h = undefined;
  }, 60_000);

  async function setup() {
    h = await startAriHarness(
      { HTTP_ENABLED: 'true', API_TOKENS: `desk:agent:${AGENT_TOKEN}`, MEDIA_WORKERS: '2' },
      {
        routesJson: {
          routes: [
            {
              name: 'desk',
              match: { stasisArg: 'desk' },
              agent: { kind: 'dial-in', waitMs: 60_000, sampleRate: 8000 },
            },
          ],
        },
      },
    );
    const events: CallLifecycleEvent[] = [];
    h.app.registry.on('added', (s) => s.on('event', (e) => events.push(e)));
    return { url: `ws://127.0.0.1:${h.app.http!.address!.port}/v1/agents/ws`, events };
  }

  /** A native agent claiming `callId` by its first message: the error event and close code it gets. */
  async function claimById(url: string, callId: string) {
    const agent = await dialInNativeAgent(
      { url, bearer: AGENT_TOKEN, firstMessage: { command: 'claim', callId } },
      { mode: 'echo' },
    );
    agents.push(agent);
    return { error: await agent.waitForEvent('error'), close: await agent.waitForClose(WAIT_MS) };
  }

  async function waitingCall() {
    const caller = await h!.sim.placeInboundCall({ stasisArgs: ['desk'], caller: '+4930123' });
    await waitFor(() => h!.app.registry.get(caller.id)?.state === 'connecting', WAIT_MS, 'the call waiting');
    const session = h!.app.registry.get(caller.id)!;
    expect(h!.app.mediaWorkers!.workerOf(session.id)).toBeTypeOf('number');
    return { caller, session };
  }

  it('the caller hangs up while the call waits: the wait is cancelled, a later claim of it is refused (4404)', async () => {
    const { url } = await setup();
    const { caller, session } = await waitingCall();
    await caller.hangup();
    await waitFor(() => h!.app.registry.size === 0, WAIT_MS, 'the call released');
    // Give the worker's cancel its time to reach the primary.
    await waitFor(() => h!.app.mediaWorkers!.workers.every((w) => w.calls === 0), WAIT_MS, 'workers idle');
    const late = await claimById(url, session.id);
    expect(late.error).toMatchObject({ code: 'claim_failed' });
    expect(late.close.code).toBe(4404);
  }, 90_000);

  it('the worker holding the call is killed while it waits: the call ends worker_failed, the wait ends with it', async () => {
    const { url, events } = await setup();
    const { session } = await waitingCall();
    const pool = h!.app.mediaWorkers!;
    const worker = pool.workerOf(session.id)!;
    const pid = pool.pidOf(worker)!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => events.some((e) => e.type === 'call.ended'), WAIT_MS, 'the call ended');
    expect(events.find((e) => e.type === 'call.ended')?.data).toMatchObject({ reason: 'worker_failed' });
    const late = await claimById(url, session.id);
    expect(late.close.code).toBe(4404);
    // Replaced, and its next call is claimed and talks as before.
    await waitFor(() => pool.workers[worker]!.ready && pool.pidOf(worker) !== pid, WAIT_MS, 'worker replaced');
    const next = await waitingCall();
    const { session: agent, incoming } = await untilClaimed(
      () => dialInNativeAgent({ url: `${url}?callId=${next.session.id}`, bearer: AGENT_TOKEN }, { mode: 'echo' }),
      (a) => a.waitForEvent('incoming'),
      { onSession: (a) => agents.push(a) },
    );
    expect(incoming.callId).toBe(next.session.id);
    await agent.waitForEvent('answer');
  }, 90_000);
});
