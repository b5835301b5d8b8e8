import { afterEach, describe, expect, it } from 'vitest';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import type { CallLifecycleEvent } from '../../src/calls/call-session.js';
import { checkWebhookSignature } from '../../src/jobs/webhook-signature.js';
import { type AgentRunner, startAgentRunner } from '../../src/simulator/agents/agent-runner.js';
import { dialInNativeAgent, openDialInSocket } from '../../src/simulator/agents/dial-in-client.js';
import type { NativeAgentSession } from '../../src/simulator/agents/native-echo-agent.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { toneFrames, toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import { untilClaimed } from '../support/until-claimed.js';
import { waitFor } from '../support/wait.js';
import { pcmSamples } from '../../src/audio/format.js';

const AGENT_TOKEN = 'agent-token-0123456789';
const READ_TOKEN = 'read-token-0123456789';
const CONTROL_TOKEN = 'control-token-0123456789';
const START_SECRET = 'bot-start-secret-0123';

const TOKENS = `desk:agent:${AGENT_TOKEN},viewer:read:${READ_TOKEN},ops:control:${CONTROL_TOKEN}`;

/** A dial-in route; `extra` may add a start hook, a fallback, another wait. */
function dialInRoute(name: string, extra: Record<string, unknown> = {}, agent: Record<string, unknown> = {}) {
  return {
    name,
    match: { stasisArg: name },
    agent: { kind: 'dial-in', dialect: 'native', sampleRate: 16000, waitMs: 10_000, ...agent },
    ...extra,
  };
}

// The same behaviour in one process and with media workers (the primary pairs each connection with its call and
// hands it to the call's worker). Worker processes start under tsx on a shared machine: generous waits.
describe.each([
  { workers: 0, label: 'in one process' },
  { workers: 2, label: 'with 2 media workers' },
])('agents that dial in at /v1/agents/ws, through the simulated Asterisk ($label)', ({ workers }) => {
  let h: AriHarness | undefined;
  let runner: AgentRunner | undefined;
  const agents: NativeAgentSession[] = [];
  afterEach(async () => {
    for (const a of agents) await a.close().catch(() => undefined);
    agents.length = 0;
    await h?.stop();
    await runner?.close();
    h = undefined;
    runner = undefined;
  });

  async function setup(routes: unknown[], env: Record<string, string> = {}) {
    h = await startAriHarness(
      { HTTP_ENABLED: 'true', API_TOKENS: TOKENS, START_SECRET, MEDIA_WORKERS: String(workers), ...env },
      { routesJson: { routes } },
    );
    const events: CallLifecycleEvent[] = [];
    h.app.registry.on('added', (s) => s.on('event', (e) => events.push(e)));
    const url = `ws://127.0.0.1:${h.app.http!.address!.port}/v1/agents/ws`;
    return { url, events };
  }

  /** With workers, the call's media (and so its agent's connection) is on a worker, not in the primary. */
  function expectMediaWhere(callId: string) {
    const worker = h!.app.mediaWorkers?.workerOf(callId);
    if (workers === 0) expect(worker).toBeUndefined();
    else expect(worker).toBeTypeOf('number');
  }

  function call(route: string, audio?: Int16Array) {
    return h!.sim.placeInboundCall({
      stasisArgs: [route],
      caller: '+4930123',
      ...(audio ? { audio: { type: 'samples', samples: audio } as never } : {}),
    });
  }

  it('an inbound call waits and is claimed by a native agent naming the route; the caller hears it', async () => {
    const { url } = await setup([dialInRoute('desk')]);
    const tone = generateTone({ rate: 8000, freq: 1000, amplitude: 8000, ms: 3000 });
    const caller = await call('desk', tone);
    await waitFor(() => h!.app.registry.size === 1, 10_000, 'the call');
    // Nobody has claimed it yet: it waits (no agent.failed, no hangup).
    const session = h!.app.registry.list()[0]!;
    await waitFor(() => session.state === 'connecting', 10_000, 'the call waiting for its agent');
    expectMediaWhere(session.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(session.state).toBe('connecting');
    const agent = await dialInNativeAgent({ url: `${url}?route=desk`, bearer: AGENT_TOKEN }, { mode: 'echo' });
    agents.push(agent);
    const incoming = await agent.waitForEvent('incoming');
    expect(incoming).toMatchObject({
      callId: session.id,
      route: 'desk',
      direction: 'inbound',
      caller: '+4930123',
      audio: { encoding: 'pcm16', sampleRate: 16000 },
    });
    await agent.waitForEvent('answer');
    await agent.waitForAudioBytes(16000 * 2, 15_000);
    // The echo reaches the caller with the tone intact.
    await waitFor(() => toneFrames(h!.media[0]!.received, 8000, 1000).length >= 40, 15_000, 'the echo');
    const back = trimSilence(
      pcmSamples(Buffer.concat(toneFrames(h!.media[0]!.received, 8000, 1000).map((f) => f.payload!))),
    );
    expect(toneWindowMatch(back, 8000, 1000, rmsDbfs(tone)).share).toBeGreaterThanOrEqual(0.9);
    await caller.hangup();
    await agent.waitForEvent('hangup');
  }, 40_000);

  it('an agent waiting first claims the next call with a first "claim" message, or a given call by id', async () => {
    const { url } = await setup([dialInRoute('desk'), dialInRoute('sales')]);
    const byRoute = await dialInNativeAgent(
      { url, bearer: AGENT_TOKEN, firstMessage: { command: 'claim', route: 'sales' } },
      { mode: 'echo' },
    );
    agents.push(byRoute);
    await call('desk');
    await call('sales');
    // The agent waiting for `sales` got the sales call, not the earlier desk call.
    const incoming = await byRoute.waitForEvent('incoming');
    expect(incoming.route).toBe('sales');
    await waitFor(() => h!.app.registry.size === 2, 10_000, 'both calls');
    const desk = h!.app.registry.list().find((s) => s.info.route.name === 'desk')!;
    const { session: byId, incoming: byIdIncoming } = await untilClaimed(
      () =>
        dialInNativeAgent(
          { url, bearer: AGENT_TOKEN, firstMessage: { command: 'claim', callId: desk.id } },
          { mode: 'echo' },
        ),
      (a) => a.waitForEvent('incoming'),
      { onSession: (a) => agents.push(a) },
    );
    expect(byIdIncoming.callId).toBe(desk.id);
    for (const s of h!.app.registry.list()) expectMediaWhere(s.id);
    // Both agents talk to their calls (the echo comes back to each agent).
    await byRoute.waitForEvent('answer');
    await byId.waitForEvent('answer');
  }, 30_000);

  it('a call nobody claims within waitMs gets the route fallback, with the cause recorded', async () => {
    const { events } = await setup([
      dialInRoute('desk', { fallback: { action: 'play', media: 'sound:tt-allbusy' } }, { waitMs: 500 }),
    ]);
    const caller = await call('desk');
    await caller.ended;
    expect(events.find((e) => e.type === 'agent.failed')?.data).toMatchObject({ code: 'AGENT_NOT_CLAIMED' });
    await waitFor(() => events.some((e) => e.type === 'call.ended'), 10_000, 'call.ended');
    expect(events.find((e) => e.type === 'call.ended')?.data).toMatchObject({ reason: 'agent_failed' });
    const played = h!.sim
      .eventLog()
      .map((d) => d.event)
      .filter((e) => e.type === 'PlaybackStarted' && 'playback' in e && e.playback.media_uri === 'sound:tt-allbusy');
    expect(played.length).toBe(1);
  }, 30_000);

  it('the start hook request is signed and carries a connectUrl; a bot that never connects gets the fallback', async () => {
    runner = await startAgentRunner();
    const { events } = await setup([
      dialInRoute('bot', {}, { waitMs: 800, start: { url: runner.url, secretEnv: 'START_SECRET' } }),
    ]);
    const caller = await call('bot');
    const start = await runner.waitForRequest(0);
    const check = checkWebhookSignature(START_SECRET, String(start.headers['x-ava-signature']), start.body, 300);
    expect(check.valid).toBe(true);
    expect(
      checkWebhookSignature('another-secret-0123', String(start.headers['x-ava-signature']), start.body, 300).valid,
    ).toBe(false);
    expect(start.headers['x-ava-timestamp']).toMatch(/^\d+$/);
    expect(start.headers['x-ava-event-id']).toMatch(/^[0-9a-f-]{36}$/);
    const session = h!.app.registry.list()[0]!;
    expect(start.json).toMatchObject({
      event: 'agent.start',
      callId: session.id,
      route: 'bot',
      dialect: 'native',
      caller: '+4930123',
      direction: 'inbound',
      audio: { encoding: 'pcm16', sampleRate: 16000 },
    });
    const connectUrl = new URL(String(start.json?.['connectUrl']));
    expect(connectUrl.pathname).toBe('/v1/agents/ws');
    expect(connectUrl.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await caller.ended;
    expect(events.find((e) => e.type === 'agent.failed')?.data).toMatchObject({ code: 'AGENT_NOT_CLAIMED' });
    await waitFor(() => events.some((e) => e.type === 'call.ended'), 10_000, 'call.ended');
    expect(events.find((e) => e.type === 'call.ended')?.data).toMatchObject({ reason: 'agent_failed' });
  }, 30_000);

  it('a failed start hook (HTTP 500) gives the fallback at once, with the cause recorded', async () => {
    runner = await startAgentRunner({ status: 500 });
    const { events } = await setup([
      dialInRoute('bot', {}, { waitMs: 20_000, start: { url: runner.url, secretEnv: 'START_SECRET' } }),
    ]);
    const caller = await call('bot');
    const started = Date.now();
    await caller.ended;
    expect(Date.now() - started).toBeLessThan(10_000);
    const failed = events.find((e) => e.type === 'agent.failed')?.data as { code: string; message: string };
    expect(failed.code).toBe('AGENT_START_FAILED');
    expect(failed.message).toContain('HTTP 500');
  }, 30_000);

  it('without the HTTP server a dial-in call gets its fallback at once, with the cause recorded', async () => {
    h = await startAriHarness(
      { HTTP_ENABLED: 'false', MEDIA_WORKERS: String(workers) },
      { routesJson: { routes: [dialInRoute('desk')] } },
    );
    const events: CallLifecycleEvent[] = [];
    h.app.registry.on('added', (s) => s.on('event', (e) => events.push(e)));
    const started = Date.now();
    const caller = await call('desk');
    await caller.ended;
    // Not the route's 10 s wait: nothing could ever claim the call.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(events.find((e) => e.type === 'agent.failed')?.data).toMatchObject({ code: 'AGENT_ENDPOINT_MISSING' });
  }, 30_000);

  it('a one-time token admits its bot once: refused on second use, after its TTL, and for another call', async () => {
    runner = await startAgentRunner();
    await setup([dialInRoute('bot', {}, { waitMs: 8000, start: { url: runner.url, secretEnv: 'START_SECRET' } })], {
      AGENT_TOKEN_TTL_MS: '1000',
    });
    await call('bot');
    await call('bot');
    const first = await runner.waitForRequest(0);
    const second = await runner.waitForRequest(1);
    const firstUrl = String(first.json?.['connectUrl']);
    const secondUrl = new URL(String(second.json?.['connectUrl']));
    // Another call's token, naming this call: 403, and the token stays good for its own call.
    const wrongCall = await openDialInSocket(
      { url: `${firstUrl}&callId=${String(second.json?.['callId'])}` },
      (ws) => ws,
    );
    expect(wrongCall).toMatchObject({ ok: false, status: 403 });
    expect(wrongCall.ok ? '' : wrongCall.body).toContain('another call');
    // First use: the bot gets its call.
    const agent = await dialInNativeAgent({ url: firstUrl }, { mode: 'echo' });
    agents.push(agent);
    expect((await agent.waitForEvent('incoming')).callId).toBe(first.json?.['callId']);
    // Second use: 401.
    const again = await openDialInSocket({ url: firstUrl }, (ws) => ws);
    expect(again).toMatchObject({ ok: false, status: 401 });
    expect(again.ok ? '' : again.body).toContain('already used');
    // After the TTL (1 s): 401, although its call still waits.
    await new Promise((r) => setTimeout(r, 1200));
    const late = await openDialInSocket({ url: secondUrl.toString() }, (ws) => ws);
    expect(late).toMatchObject({ ok: false, status: 401 });
    expect(late.ok ? '' : late.body).toContain('expired');
  }, 30_000);

  it('refuses the upgrade without a token (401), with a read or control token (403), or an unknown one (401)', async () => {
    const { url } = await setup([dialInRoute('desk')]);
    const cases: Array<[string, string | undefined, number, string]> = [
      [`${url}?route=desk`, undefined, 401, 'missing token'],
      [`${url}?route=desk`, 'no-such-token-0123456789', 401, 'unknown bearer token'],
      [`${url}?route=desk`, READ_TOKEN, 403, 'scope is read'],
      [`${url}?route=desk`, CONTROL_TOKEN, 403, 'scope is control'],
      [`${url}?route=desk&access_token=${CONTROL_TOKEN}`, undefined, 403, 'scope is control'],
      [`${url}?token=forged-token`, undefined, 401, 'unknown one-time token'],
      [`${url}?route=desk&dialect=twilio`, AGENT_TOKEN, 400, 'dialect must be one of'],
    ];
    for (const [u, bearer, status, text] of cases) {
      const r = await openDialInSocket({ url: u, ...(bearer ? { bearer } : {}) }, (ws) => ws);
      expect(r, u).toMatchObject({ ok: false, status });
      expect(r.ok ? '' : r.body, u).toContain(text);
    }
    // The agent token in the query works too (clients that cannot set headers), and is no REST token.
    const ok = await openDialInSocket({ url: `${url}?route=desk&access_token=${AGENT_TOKEN}` }, (ws) => ws);
    expect(ok.ok).toBe(true);
    if (ok.ok) ok.value.close();
    const rest = await fetch(`http://127.0.0.1:${h!.app.http!.address!.port}/v1/calls`, {
      headers: { authorization: `Bearer ${AGENT_TOKEN}` },
    });
    expect(rest.status).toBe(403);
  }, 30_000);

  it('a bad first message gets an error event and close 4400; a bad invite is answered by the invite handler', async () => {
    const { url } = await setup([dialInRoute('desk')]);
    const firsts: Array<[unknown, string]> = [
      ['{not json', 'malformed_json'],
      [{ command: 'play' }, 'unknown_command'],
      [{ command: 'claim', route: 'bad route name!' }, 'invalid_command'],
    ];
    for (const [firstMessage, code] of firsts) {
      const agent = await dialInNativeAgent({ url, bearer: AGENT_TOKEN, firstMessage }, { mode: 'echo' });
      agents.push(agent);
      const error = await agent.waitForEvent('error');
      expect(error).toMatchObject({ code, callId: 'none' });
      expect((await agent.waitForClose(5000)).code).toBe(4400);
    }
    // An invite goes to the invite handler: a bad one gets invalid_command and the socket stays open for another.
    const inviter = await dialInNativeAgent(
      { url, bearer: AGENT_TOKEN, firstMessage: { command: 'invite', callee: '100' } },
      { mode: 'echo' },
    );
    agents.push(inviter);
    expect(await inviter.waitForEvent('error')).toMatchObject({ code: 'invalid_command', callId: 'none' });
    expect(inviter.closeInfo).toBeUndefined();
    // A claim of a call that is not waiting: error claim_failed, close 4404.
    const none = await dialInNativeAgent(
      { url, bearer: AGENT_TOKEN, firstMessage: { command: 'claim', callId: 'no-such-call' } },
      { mode: 'echo' },
    );
    agents.push(none);
    expect(await none.waitForEvent('error')).toMatchObject({ code: 'claim_failed' });
    expect((await none.waitForClose(5000)).code).toBe(4404);
    // Nothing else broke: a call is still claimed normally.
    await call('desk');
    const agent = await dialInNativeAgent({ url: `${url}?route=desk`, bearer: AGENT_TOKEN }, { mode: 'echo' });
    agents.push(agent);
    await agent.waitForEvent('answer');
  }, 30_000);
});
