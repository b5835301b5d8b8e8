import { afterEach, describe, expect, it } from 'vitest';
import { ToolCallsRepository } from '../../src/db/tool-calls-repository.js';
import { TranscriptsRepository } from '../../src/db/transcripts-repository.js';
import { type RealtimeSimulator, startRealtimeSimulator } from '../../src/simulator/realtime/realtime-simulator.js';
import { HttpReceiver } from '../fakes/jobs-http-receiver.js';
import { type ApiEnv, startApiEnv } from '../integration/http/http-test-env.js';
import { callerBurst, REALTIME_KEY, voicedMs } from '../support/realtime-harness.js';
import { until, waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const TOOL_SECRET = 'tool_secret_0123456789abcdef';
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('OpenAI Realtime agents on media workers', () => {
  let env: ApiEnv | undefined;
  let sim: RealtimeSimulator | undefined;
  let weather: HttpReceiver | undefined;
  afterEach(async () => {
    await env?.close();
    await sim?.close();
    await weather?.close();
    env = undefined;
    sim = undefined;
    weather = undefined;
  }, 60_000);

  it('2 workers: each call talks, its tool call runs as a job in the primary, its transcript is stored', async () => {
    weather = await HttpReceiver.start(TOOL_SECRET, () => ({ status: 200, body: { tempC: 21 } }));
    sim = await startRealtimeSimulator({
      apiKey: REALTIME_KEY,
      speed: Number.POSITIVE_INFINITY,
      callerTranscript: () => 'What is the weather in Oslo?',
      script: ({ index }) =>
        index === 0
          ? {
              audioMs: 300,
              transcript: 'Let me check.',
              functionCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' }, callId: 'call_w1' }],
              responseDoneDelayMs: 200,
            }
          : { audioMs: 500, transcript: 'It is 21 degrees in Oslo.' },
    });
    const routesJson = {
      routes: [
        {
          name: 'realtime',
          agent: { kind: 'openai-realtime', url: sim.url, secretEnv: 'RT_KEY' },
          tools: [{ ...WEATHER_TOOL, url: weather.url('/weather'), secretEnv: 'TOOL_SECRET' }],
        },
      ],
    };
    env = await startApiEnv({ MEDIA_WORKERS: '2', RT_KEY: REALTIME_KEY, TOOL_SECRET }, { routesJson });
    const { app, sim: asterisk, media } = env.h;
    const pool = app.mediaWorkers!;
    const callers = [];
    const callIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const caller = await asterisk.placeInboundCall({
        caller: `+4930200${i}`,
        audio: { type: 'samples', samples: callerBurst(8000) },
      });
      await waitFor(() => app.registry.get(caller.id)?.state === 'active', WAIT_MS, `call ${i} active`);
      callers.push(caller);
      callIds.push(app.registry.get(caller.id)!.id);
    }
    // One call on each worker: the agents run there, next to the media.
    expect(new Set(callIds.map((id) => pool.workerOf(id)))).toEqual(new Set([0, 1]));
    expect(app.audioSocket.connections.size).toBe(0);

    // Each model session asked for the tool and got the job's output back.
    await waitFor(() => sim!.sessions.length === 2, WAIT_MS, 'two Realtime sessions');
    for (const s of sim.sessions) {
      await s.waitFor(() => (s.functionOutputs.length === 1 ? true : undefined), 'function_call_output', WAIT_MS);
      expect(s.functionOutputs).toEqual([{ callId: 'call_w1', output: '{"tempC":21}' }]);
      expect(s.errors).toEqual([]);
    }
    const toolCalls = new ToolCallsRepository(env.tmp.db);
    const transcripts = new TranscriptsRepository(env.tmp.db);
    for (const callId of callIds) {
      // The tool ran once per call as a tool-calls job of the primary, recorded with its result.
      const row = await until(async () => {
        const r = await toolCalls.get(callId, 'call_w1');
        return r?.status === 'succeeded' ? r : undefined;
      }, WAIT_MS);
      expect(row).toMatchObject({ name: 'get_weather', result: { tempC: 21 }, attempts: 1 });
      expect(weather.requests.filter((r) => r.headers['x-ava-idempotency-key'] === `${callId}:call_w1`)).toHaveLength(
        1,
      );
      // The turns of the caller and of the model are stored for the call.
      const stored = await until(async () => {
        const list = await transcripts.listByCall(callId);
        return list.some((t) => t.text === 'It is 21 degrees in Oslo.') ? list : undefined;
      }, WAIT_MS);
      expect(stored.map((t) => `${t.role}: ${t.text}`)).toEqual(
        expect.arrayContaining(['caller: What is the weather in Oslo?', 'agent: It is 21 degrees in Oslo.']),
      );
    }
    // The callers heard the model (its audio came through their worker's media bridge).
    for (let i = 0; i < 2; i++) await waitFor(() => voicedMs(env!.h, 8000, i) >= 500, WAIT_MS, `agent audio ${i}`);
    expect(media).toHaveLength(2);
    for (const c of callers) await c.hangup();
    await waitFor(() => app.registry.size === 0, WAIT_MS, 'no live calls');
    expect(pool.workers.map((w) => w.calls)).toEqual([0, 0]);
  }, 120_000);
});
