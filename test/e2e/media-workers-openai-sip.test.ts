import { afterEach, describe, expect, it } from 'vitest';
import { ToolCallsRepository } from '../../src/db/tool-calls-repository.js';
import { TranscriptsRepository } from '../../src/db/transcripts-repository.js';
import { linkOpenAiSip } from '../../src/simulator/openai-sip-link.js';
import { type RealtimeSimulator, startRealtimeSimulator } from '../../src/simulator/realtime/realtime-simulator.js';
import { HttpReceiver } from '../fakes/jobs-http-receiver.js';
import { createTempDatabase, type TempDatabase } from '../integration/db/temp-database.js';
import { cleanRedis, randomPrefix, REDIS_URL } from '../integration/jobs/job-test-env.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { until, waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const API_KEY = 'sk-test-sip-0123456789';
const WEBHOOK_SECRET = 'whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0LTAxMjM0NTY3';
const TOOL_SECRET = 'tool_secret_0123456789abcdef';
const WEBHOOK_PATH = '/v1/openai/sip/webhook';

describe('openai-sip routes with media workers (2 workers)', () => {
  let h: AriHarness | undefined;
  let sim: RealtimeSimulator | undefined;
  let weather: HttpReceiver | undefined;
  let tmp: TempDatabase | undefined;
  let prefix = '';
  afterEach(async () => {
    await h?.stop();
    await sim?.close();
    await weather?.close();
    await tmp?.drop();
    await cleanRedis(REDIS_URL, prefix);
    h = undefined;
    sim = undefined;
    weather = undefined;
    tmp = undefined;
  }, 60_000);

  it('the SIP call is accepted, the sideband greets and runs the tool as a job, transcripts are stored; echo calls use the workers', async () => {
    tmp = await createTempDatabase({ migrate: false });
    prefix = randomPrefix();
    weather = await HttpReceiver.start(TOOL_SECRET, () => ({ status: 200, body: { tempC: 21 } }));
    sim = await startRealtimeSimulator({
      apiKey: API_KEY,
      speed: Number.POSITIVE_INFINITY,
      callerTranscript: () => 'What is the weather in Oslo?',
      sip: { webhookSecrets: [WEBHOOK_SECRET] },
      script: ({ index }) =>
        index === 0
          ? { audioMs: 300, transcript: 'Front desk, hello!' }
          : index === 1
            ? { functionCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' }, callId: 'call_w1' }] }
            : { audioMs: 400, transcript: 'It is 21 degrees in Oslo.' },
    });
    h = await startAriHarness(
      {
        MEDIA_WORKERS: '2',
        MYSQL_URL: tmp.url,
        REDIS_URL,
        JOBS_PREFIX: prefix,
        INSTANCE_ID: `test-${prefix}`,
        HTTP_ENABLED: 'true',
        HTTP_HOST: '127.0.0.1',
        OPENAI_KEY: API_KEY,
        OPENAI_WEBHOOK_SECRET: WEBHOOK_SECRET,
        TOOL_SECRET,
      },
      {
        routesJson: {
          routes: [
            { name: 'echo', match: { extension: '200' }, agent: { kind: 'echo' } },
            {
              name: 'front-desk',
              match: { extension: '100' },
              agent: {
                kind: 'openai-sip',
                projectId: 'proj_test123',
                url: sim.url,
                secretEnv: 'OPENAI_KEY',
                webhookSecretEnv: 'OPENAI_WEBHOOK_SECRET',
                session: { instructions: 'You are the front desk.' },
                greeting: 'Greet the caller.',
              },
              tools: [
                {
                  name: 'get_weather',
                  description: 'Current weather for a city.',
                  parameters: { type: 'object', properties: { city: { type: 'string' } } },
                  url: weather.url('/weather'),
                  secretEnv: 'TOOL_SECRET',
                },
              ],
            },
          ],
        },
      },
    );
    const app = h.app;
    const pool = app.mediaWorkers!;
    expect(pool.workers.map((w) => w.ready)).toEqual([true, true]);
    // Nothing to fall back from: the openai-sip route has no media in the adapter.
    expect(h.logs.lines.filter((l) => l['route'] === 'front-desk' && l['worker'] === 'primary')).toEqual([]);
    linkOpenAiSip(h.sim, sim, { answerDelayMs: 0 });
    sim.sip.configureWebhook({ url: `http://127.0.0.1:${app.http!.address!.port}${WEBHOOK_PATH}` });

    // An echo call on a worker alongside.
    const echo = await h.sim.placeInboundCall({ caller: '+4930200', extension: '200' });
    await waitFor(() => app.registry.get(echo.id)?.state === 'active', WAIT_MS, 'echo call active');
    expect(pool.workerOf(app.registry.get(echo.id)!.id)).toBe(0);

    const caller = await h.sim.placeInboundCall({ caller: '+4930111', extension: '100' });
    const call = await sim.sip.waitFor(() => [...sim!.sip.calls.values()][0], 'an incoming SIP call');
    await sim.sip.waitFor(() => (call.state === 'accepted' ? true : undefined), 'accept');
    const session = app.registry.list().find((x) => x.info.route.name === 'front-desk')!;
    expect(call.sipHeaders.find((x) => x.name === 'X-Ava-Call-Id')?.value).toBe(session.id);
    expect(sim.sip.requestsOf(call.id, 'accept')).toHaveLength(1);
    // The sideband (control only, in the primary with the call's session) greets the caller.
    const sb = await sim.waitForSession(0);
    const greet = await sb.waitForReceived('response.create');
    expect(JSON.stringify(greet)).toContain('Greet the caller.');
    await waitFor(() => session.state === 'active', WAIT_MS, 'SIP call active');
    expect(pool.workerOf(session.id)).toBeUndefined();
    expect(pool.workers.map((w) => w.calls)).toEqual([1, 0]);
    await sb.waitFor(() => (sb.responses.length === 1 && !sb.activeResponse ? true : undefined), 'greeting done');
    // The caller asks (heard by the provider over SIP); the model calls the tool, which runs as a job.
    sb.callerTurn(800);
    await sb.waitFor(() => (sb.functionOutputs.length === 1 ? true : undefined), 'function_call_output', 20_000);
    expect(sb.functionOutputs).toEqual([{ callId: 'call_w1', output: '{"tempC":21}' }]);
    const row = await until(async () => {
      const r = await new ToolCallsRepository(tmp!.db).get(session.id, 'call_w1');
      return r?.status === 'succeeded' ? r : undefined;
    });
    expect(row).toMatchObject({ name: 'get_weather', result: { tempC: 21 }, attempts: 1 });
    const stored = await until(async () => {
      const list = await new TranscriptsRepository(tmp!.db).listByCall(session.id);
      return list.some((t) => t.text === 'It is 21 degrees in Oslo.') ? list : undefined;
    });
    expect(stored.some((t) => t.role === 'agent' && t.text === 'Front desk, hello!')).toBe(true);

    await caller.hangup();
    await echo.hangup();
    await waitFor(() => app.registry.size === 0, WAIT_MS, 'no live calls');
    expect(session.endSummary?.reason).toBe('caller_hangup');
  }, 120_000);
});
