import { afterEach, describe, expect, it } from 'vitest';
import { CallEventsRepository } from '../../src/db/call-events-repository.js';
import { ToolCallsRepository } from '../../src/db/tool-calls-repository.js';
import { TranscriptsRepository } from '../../src/db/transcripts-repository.js';
import { linkOpenAiSip } from '../../src/simulator/openai-sip-link.js';
import {
  type RealtimeSimulator,
  type RealtimeSimulatorOptions,
  startRealtimeSimulator,
} from '../../src/simulator/realtime/realtime-simulator.js';
import type { SimSipCall } from '../../src/simulator/realtime/sim-sip-calls.js';
import { HttpReceiver } from '../fakes/jobs-http-receiver.js';
import { createTempDatabase, type TempDatabase } from '../integration/db/temp-database.js';
import { cleanRedis, randomPrefix, REDIS_URL } from '../integration/jobs/job-test-env.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { until, waitFor } from '../support/wait.js';

/**
 * The SIP path end to end: the simulated Asterisk (its PJSIP endpoint `openai` linked to the simulated provider),
 * the real service with MySQL and Redis, and the simulated Realtime service (webhook sender, calls API, sideband).
 */
const API_KEY = 'sk-test-sip-0123456789';
const SECRET_OLD = 'whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0LTAxMjM0NTY3';
const SECRET_NEW = 'whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0LTAxMjM0NTY3';
const SECRET_WRONG = 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0wMTIz';
const TOOL_SECRET = 'tool_secret_0123456789abcdef';
const WEBHOOK_PATH = '/v1/openai/sip/webhook';

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

interface Setup {
  h: AriHarness;
  sim: RealtimeSimulator;
  tmp: TempDatabase;
  weather: HttpReceiver;
}

describe('openai-sip routes: the audio goes over SIP, the adapter keeps control', () => {
  let s: Setup | undefined;
  let prefix = '';
  afterEach(async () => {
    await s?.h.stop();
    await s?.sim.close();
    await s?.weather.close();
    await s?.tmp.drop();
    await cleanRedis(REDIS_URL, prefix);
    s = undefined;
  });

  async function setup(
    o: { sim?: RealtimeSimulatorOptions; agent?: Record<string, unknown>; answerDelayMs?: number } = {},
  ): Promise<Setup> {
    const tmp = await createTempDatabase({ migrate: false });
    prefix = randomPrefix();
    const weather = await HttpReceiver.start(TOOL_SECRET, () => ({ status: 200, body: { tempC: 21 } }));
    const sim = await startRealtimeSimulator({
      apiKey: API_KEY,
      speed: Number.POSITIVE_INFINITY,
      callerTranscript: () => 'What is the weather in Oslo?',
      sip: { webhookSecrets: [SECRET_NEW] },
      ...o.sim,
    });
    const routesJson = {
      routes: [
        {
          name: 'front-desk',
          agent: {
            kind: 'openai-sip',
            projectId: 'proj_test123',
            url: sim.url,
            secretEnv: 'OPENAI_KEY',
            webhookSecretEnv: 'OPENAI_WEBHOOK_SECRET',
            session: {
              instructions: 'You are the front desk.',
              voice: 'marin',
              turnDetection: { type: 'semantic_vad', eagerness: 'low' },
            },
            greeting: 'Greet the caller.',
            ...o.agent,
          },
          tools: [{ ...WEATHER_TOOL, url: weather.url('/weather'), secretEnv: 'TOOL_SECRET' }],
        },
      ],
    };
    let h: AriHarness;
    try {
      h = await startAriHarness(
        {
          MYSQL_URL: tmp.url,
          REDIS_URL,
          JOBS_PREFIX: prefix,
          INSTANCE_ID: `test-${prefix}`,
          HTTP_ENABLED: 'true',
          HTTP_HOST: '127.0.0.1',
          OPENAI_KEY: API_KEY,
          // Rotation: the old secret is still accepted while the provider signs with the new one.
          OPENAI_WEBHOOK_SECRET: `${SECRET_OLD} ${SECRET_NEW}`,
          TOOL_SECRET,
        },
        { routesJson },
      );
    } catch (err) {
      await sim.close();
      await weather.close();
      await tmp.drop();
      throw err;
    }
    linkOpenAiSip(h.sim, sim, { answerDelayMs: o.answerDelayMs ?? 0 });
    sim.sip.configureWebhook({ url: `http://127.0.0.1:${h.app.http!.address!.port}${WEBHOOK_PATH}` });
    s = { h, sim, tmp, weather };
    return s;
  }

  const firstSipCall = (sim: RealtimeSimulator) =>
    sim.sip.waitFor(() => [...sim.sip.calls.values()][0], 'an incoming SIP call');

  it('accepts with the route session, runs the tool as a job after response.done, stores transcripts', async () => {
    const { h, sim, tmp } = await setup({
      sim: {
        script: ({ index }) =>
          index === 0
            ? { audioMs: 300, transcript: 'Front desk, hello!' }
            : index === 1
              ? {
                  functionCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' }, callId: 'call_s1' }],
                  responseDoneDelayMs: 200,
                }
              : { audioMs: 400, transcript: 'It is 21 degrees in Oslo.' },
      },
    });
    const caller = await h.sim.placeInboundCall({ caller: '+4930111' });
    const call: SimSipCall = await firstSipCall(sim);
    await sim.sip.waitFor(() => (call.state === 'accepted' ? true : undefined), 'accept');
    const session = h.app.registry.list()[0]!;
    // The INVITE carried our call id; the webhook was signed and accepted once.
    expect(call.sipHeaders.find((x) => x.name === 'X-Ava-Call-Id')?.value).toBe(session.id);
    await sim.sip.waitFor(() => sim.sip.deliveries[0], 'webhook answer');
    expect(sim.sip.deliveries.map((d) => d.status)).toEqual([200]);
    expect(sim.sip.requestsOf(call.id, 'accept')).toHaveLength(1);
    // The accept carries the route's session; SIP negotiated the codec, so no audio format is named.
    const body = call.acceptBody as {
      type: string;
      model: string;
      instructions: string;
      audio: { input: Record<string, unknown>; output: Record<string, unknown> };
      tools: Array<{ name: string }>;
    };
    expect(body.type).toBe('realtime');
    expect(body.model).toBe('gpt-realtime');
    expect(body.instructions).toBe('You are the front desk.');
    expect(body.audio.output.voice).toBe('marin');
    expect(body.audio.input.turn_detection).toMatchObject({ type: 'semantic_vad', eagerness: 'low' });
    expect(body.audio.input.format).toBeUndefined();
    expect(body.audio.output.format).toBeUndefined();
    expect(body.tools.map((t) => t.name)).toEqual(['get_weather']);

    // The sideband (no audio on it) greets the caller.
    const sb = await sim.waitForSession(0);
    const greet = await sb.waitForReceived('response.create');
    expect(JSON.stringify(greet)).toContain('Greet the caller.');
    await sb.waitFor(() => (sb.responses.length === 1 && !sb.activeResponse ? true : undefined), 'greeting done');
    // The caller asks (heard by the provider over SIP); the model calls the tool.
    sb.callerTurn(800);
    await sb.waitFor(() => (sb.functionOutputs.length === 1 ? true : undefined), 'function_call_output', 20_000);
    expect(sb.functionOutputs).toEqual([{ callId: 'call_s1', output: '{"tempC":21}' }]);
    expect(sb.errors).toEqual([]);
    const toolResponse = sb.responses[1]!;
    const doneSeq = sb.log.find(
      (e) =>
        e.direction === 'out' &&
        e.type === 'response.done' &&
        (e.event.response as { id: string }).id === toolResponse.id,
    )!.seq;
    const outputSeq = sb.log.find(
      (e) =>
        e.direction === 'in' &&
        e.type === 'conversation.item.create' &&
        (e.event.item as { type: string }).type === 'function_call_output',
    )!.seq;
    expect(outputSeq).toBeGreaterThan(doneSeq);
    // A tool-calls job ran it once, recorded with its result.
    const row = await until(async () => {
      const r = await new ToolCallsRepository(tmp.db).get(session.id, 'call_s1');
      return r?.status === 'succeeded' ? r : undefined;
    });
    expect(row).toMatchObject({ name: 'get_weather', result: { tempC: 21 }, attempts: 1 });
    // Transcripts of both sides are stored.
    const transcripts = new TranscriptsRepository(tmp.db);
    const stored = await until(async () => {
      const list = await transcripts.listByCall(session.id);
      return list.some((t) => t.text === 'It is 21 degrees in Oslo.') ? list : undefined;
    });
    // Turns stored in the same moment may get their sequence numbers in either order.
    expect(stored.map((t) => `${t.role}: ${t.text}`).sort()).toEqual([
      'agent: Front desk, hello!',
      'agent: It is 21 degrees in Oslo.',
      'caller: What is the weather in Oslo?',
    ]);
    // No audio passed through the adapter: no media connection; the caller is bridged with the SIP leg.
    expect(h.media).toHaveLength(0);
    const bridge = h.sim.bridges().find((b) => b.channels.includes(caller.id));
    expect(bridge?.channels).toHaveLength(2);
    expect(bridge?.channels.some((c) => c.startsWith('ava-sip-'))).toBe(true);

    await caller.hangup();
    await session.done;
    expect(session.endSummary?.reason).toBe('caller_hangup');
    await sim.sip.waitFor(() => (call.state === 'ended' ? true : undefined), 'provider call ended');
    const types = await until(async () => {
      const list = await new CallEventsRepository(tmp.db).listByCall(session.id);
      return list.some((e) => e.type === 'call.ended') ? list.map((e) => e.type) : undefined;
    });
    expect(types).toContain('call.agent_connected');
    expect(types).toContain('call.transcript');
  }, 60_000);

  it('refuses a bad signature, ignores a replay, accepts the old secret of a rotation, rejects unknown calls', async () => {
    const { h, sim } = await setup({ sim: { sip: { webhookSecrets: [SECRET_WRONG] } } });
    await h.sim.placeInboundCall();
    const call = await firstSipCall(sim);
    const bad = await sim.sip.waitFor(() => sim.sip.deliveries[0], 'first delivery');
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.answer).error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(call.state).toBe('ringing');
    expect(sim.sip.requestsOf(call.id)).toEqual([]);

    // The same event signed with the old secret of the rotation: accepted.
    const good = await sim.sip.deliver(bad.body, { secrets: [SECRET_OLD] });
    expect(good.status).toBe(200);
    expect(call.state).toBe('accepted');
    // Replayed byte for byte: answered, not acted on (no second accept).
    const replay = await sim.sip.redeliver(good);
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.answer).status).toBe('duplicate');
    expect(sim.sip.requestsOf(call.id, 'accept')).toHaveLength(1);
    await sim.waitForSession(0);
    await waitFor(() => h.app.registry.list()[0]?.state === 'active', 10_000, 'call active');

    // An incoming call that is none of ours (no X-Ava-Call-Id) is declined with 404.
    sim.sip.configureWebhook({ secrets: [SECRET_NEW] });
    const { call: stranger, delivery } = await sim.sip.incoming([{ name: 'From', value: '<sip:someone@example.com>' }]);
    expect(delivery?.status).toBe(200);
    expect(stranger.state).toBe('rejected');
    expect(stranger.rejectStatus).toBe(404);
  }, 60_000);

  it('a lost sideband reconnects to the same call without replaying the conversation', async () => {
    let responses = 0;
    const { h, sim, tmp } = await setup({
      sim: {
        // Counted over both connections: the provider's session is one.
        script: () => ({
          audioMs: 200,
          transcript: ['Front desk, hello!', 'Sure.'][responses++] ?? 'Still here.',
        }),
      },
    });
    await h.sim.placeInboundCall();
    const first = await sim.waitForSession(0);
    await first.waitFor(() => (first.responses.length === 1 && !first.activeResponse ? true : undefined), 'greeting');
    first.callerTurn(600);
    await first.waitFor(() => (first.responses.length === 2 && !first.activeResponse ? true : undefined), 'answer');
    const session = h.app.registry.list()[0]!;
    const transcripts = new TranscriptsRepository(tmp.db);
    // The adapter has the answer (its response.done) before the connection is lost.
    await until(async () =>
      (await transcripts.listByCall(session.id)).some((t) => t.text === 'Sure.') ? true : undefined,
    );
    first.drop();
    const second = await sim.waitForSession(1, 15_000);
    await second.waitForReceived('session.update');
    expect(sim.handshakes.map((x) => x.outcome)).toEqual(['accepted', 'accepted']);
    // The provider kept the conversation: nothing is replayed into it, and the call goes on.
    second.callerTurn(600);
    await second.waitFor(() => (second.responses.length === 1 && !second.activeResponse ? true : undefined), 'answer');
    expect(second.received('conversation.item.create')).toEqual([]);
    expect(session.state).toBe('active');
    const stored = await until(async () => {
      const list = await transcripts.listByCall(session.id);
      return list.some((t) => t.text === 'Still here.') ? list : undefined;
    });
    // Every turn once (a replay would repeat the earlier ones); rows of one moment may be stored in either order.
    expect(stored.map((t) => t.text).sort()).toEqual(
      [
        'Front desk, hello!',
        'What is the weather in Oslo?',
        'Sure.',
        'What is the weather in Oslo?',
        'Still here.',
      ].sort(),
    );
  }, 60_000);

  it('built-in hangup: the call ends as agent_hangup and the provider call is hung up through the calls API', async () => {
    const { h, sim } = await setup({
      agent: { builtinTools: { hangup: true } },
      sim: {
        script: () => ({
          audioMs: 200,
          transcript: 'Goodbye!',
          functionCalls: [{ name: 'hangup', arguments: { reason: 'caller done' } }],
        }),
      },
    });
    const caller = await h.sim.placeInboundCall();
    const call = await firstSipCall(sim);
    await waitFor(() => h.app.registry.size === 1, 10_000, 'call');
    const session = h.app.registry.list()[0]!;
    await session.done;
    expect(session.endSummary?.reason).toBe('agent_hangup');
    await caller.ended;
    expect(sim.sip.requestsOf(call.id, 'hangup').map((r) => r.status)).toEqual([200]);
    expect(call.state).toBe('ended');
    await waitFor(() => h.sim.channels().length === 0, 10_000, 'channels released');
  }, 60_000);

  it('the provider ending the SIP call (its BYE) ends the call as an agent hangup', async () => {
    const { h, sim } = await setup({ sim: { script: () => ({ audioMs: 200, transcript: 'Hello!' }) } });
    const caller = await h.sim.placeInboundCall();
    const call = await firstSipCall(sim);
    await sim.waitForSession(0);
    await waitFor(() => h.app.registry.list()[0]?.state === 'active', 10_000, 'call active');
    const session = h.app.registry.list()[0]!;
    expect(sim.sip.endCall(call.id)).toBe(true);
    await session.done;
    expect(session.endSummary?.reason).toBe('agent_hangup');
    await caller.ended;
    await waitFor(() => h.sim.channels().length === 0, 10_000, 'channels released');
  }, 60_000);

  it('the greeting waits until the provider leg is bridged with the caller', async () => {
    const { h, sim } = await setup({
      answerDelayMs: 700,
      sim: { script: () => ({ audioMs: 200, transcript: 'Hello!' }) },
    });
    const caller = await h.sim.placeInboundCall();
    const sb = await sim.waitForSession(0);
    // Checked at the moment the greeting is asked for: the caller's bridge must hold the SIP leg by then.
    const channelsAtGreeting = await sb.waitFor(
      () =>
        sb.received('response.create').length > 0
          ? (h.sim.bridges().find((b) => b.channels.includes(caller.id))?.channels.length ?? 0)
          : undefined,
      'greeting',
    );
    expect(channelsAtGreeting).toBe(2);
  }, 60_000);

  it('no accepted webhook within acceptTimeoutMs: the call takes the route fallback with the cause recorded', async () => {
    const { h, sim, tmp } = await setup({
      sim: { sip: { webhookSecrets: [SECRET_WRONG] } },
      agent: { acceptTimeoutMs: 1000 },
    });
    const caller = await h.sim.placeInboundCall();
    await waitFor(() => h.app.registry.size === 1, 10_000, 'call');
    const session = h.app.registry.list()[0]!;
    await session.done;
    expect(session.endSummary?.reason).toBe('agent_failed');
    await caller.ended;
    const events = await until(async () => {
      const list = await new CallEventsRepository(tmp.db).listByCall(session.id);
      return list.some((e) => e.type === 'call.ended') ? list : undefined;
    });
    expect(JSON.stringify(events.filter((e) => e.type === 'call.error'))).toContain('SIP_ACCEPT_TIMEOUT');
    // The unanswered SIP leg is not left behind.
    await waitFor(() => h.sim.channels().length === 0, 10_000, 'channels released');
    expect(sim.sip.requestsOf([...sim.sip.calls.keys()][0]!, 'accept')).toEqual([]);
  }, 60_000);
});
