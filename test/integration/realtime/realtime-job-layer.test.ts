import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulawEncode } from '../../../src/audio/g711.js';
import { generateTone } from '../../../src/audio/tone-analysis.js';
import { RealtimeAgent } from '../../../src/calls/agents/realtime-agent.js';
import type { TranscriptSink } from '../../../src/calls/agents/realtime-transcripts.js';
import type { realtimeAgentSchema } from '../../../src/config/realtime-route.js';
import { ToolCallsRepository } from '../../../src/db/tool-calls-repository.js';
import { TranscriptsRepository } from '../../../src/db/transcripts-repository.js';
import { createJobLayer, type JobLayer } from '../../../src/jobs/job-layer.js';
import { ToolResultWaiters } from '../../../src/jobs/tool-result-waiters.js';
import { type RealtimeSimulator, startRealtimeSimulator } from '../../../src/simulator/realtime/realtime-simulator.js';
import { FakeCallController } from '../../fakes/jobs-fake-controller.js';
import { HttpReceiver } from '../../fakes/jobs-http-receiver.js';
import { FakeBridge, realtimeCallInfo } from '../../support/realtime-fake-bridge.js';
import { eventually, waitFor } from '../../support/wait.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { cleanRedis, FAST_TUNING, REDIS_URL, randomPrefix, testLogger } from '../jobs/job-test-env.js';

/**
 * The Realtime agent on the real job layer (Redis queues, MySQL tool_calls) and transcripts stored in MySQL, the
 * way the composition root wires them: the job layer's ToolResultWaiters as the ToolInvoker, and a TranscriptSink
 * appending to the transcripts table.
 */
const SECRET = 'tool_secret_0123456789abcdef';
const instanceId = 'realtime-a';
const prefix = randomPrefix();
let t: TempDatabase;
let layer: JobLayer;
let waiters: ToolResultWaiters;
let weather: HttpReceiver;
let sim: RealtimeSimulator;

beforeAll(async () => {
  t = await createTempDatabase();
  weather = await HttpReceiver.start(SECRET, () => ({ status: 200, body: { tempC: 21 } }));
  waiters = new ToolResultWaiters(() => layer.toolCalls);
  layer = await createJobLayer({
    redis: REDIS_URL,
    prefix,
    instanceId,
    db: t.db,
    controller: new FakeCallController(instanceId),
    toolResultSink: waiters,
    logger: testLogger(),
    tuning: FAST_TUNING,
    tools: [{ name: 'get_weather', url: weather.url('/weather'), secret: SECRET }],
  });
  await layer.ready();
  sim = await startRealtimeSimulator({
    speed: Number.POSITIVE_INFINITY,
    callerTranscript: () => 'What is the weather in Oslo?',
    script: ({ index }) =>
      index === 0
        ? {
            functionCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' }, callId: 'call_j1', reportTwice: true }],
            responseDoneDelayMs: 200,
          }
        : { audioMs: 400, transcript: 'It is 21 degrees in Oslo.' },
  });
});

afterAll(async () => {
  await sim?.close();
  await layer?.close();
  await weather?.close();
  await cleanRedis(REDIS_URL, prefix);
  await t?.drop();
});

describe('Realtime agent on the job layer and MySQL', () => {
  it('a function call runs once as a tool-calls job, its output follows response.done; transcripts land in MySQL', async () => {
    const callId = randomUUID();
    await layer.ownership.claim(callId);
    const transcripts = new TranscriptsRepository(t.db);
    const appends: Promise<number>[] = [];
    const sink: TranscriptSink = {
      add: (id, turn) => {
        appends.push(
          transcripts.append({
            callId: id,
            role: turn.role,
            text: turn.text,
            startedAtMs: turn.startedAtMs,
            endedAtMs: turn.endedAtMs,
            truncated: turn.truncated,
            itemId: turn.itemId,
          }),
        );
      },
    };
    const call = { ...realtimeCallInfo({ url: sim.url, session: { tools: [{ name: 'get_weather' }] } }), callId };
    const bridge = new FakeBridge();
    const agent = new RealtimeAgent({
      config: call.route.agent as ReturnType<typeof realtimeAgentSchema.parse>,
      legFormat: call.legFormat,
      apiKey: undefined,
      tools: waiters,
      transcripts: sink,
      reconnect: { initialDelayMs: 20, maxDelayMs: 50, multiplier: 2, jitter: 0, maxAttempts: 2 },
      logger: testLogger(),
    });
    bridge.agent = agent;
    try {
      await agent.start(call, bridge, AbortSignal.timeout(10_000));
      agent.notify({ type: 'answer' });
      // The caller asks (½ s of tone between silences): the simulator's VAD makes it a turn.
      const silence = ulawEncode(new Int16Array(160));
      const tone = ulawEncode(generateTone({ rate: 8000, freq: 300, amplitude: 6000, ms: 20 }));
      for (const f of [...Array(10).fill(silence), ...Array(25).fill(tone), ...Array(40).fill(silence)]) {
        agent.sendAudio(f as Buffer);
      }
      const s = sim.sessions.at(-1)!;
      await s.waitFor(() => (s.functionOutputs.length === 1 ? true : undefined), 'function_call_output', 20_000);
      expect(s.functionOutputs).toEqual([{ callId: 'call_j1', output: '{"tempC":21}' }]);
      expect(s.errors).toEqual([]);
      // The job ran once (reported four times), recorded in tool_calls with its result.
      const row = await eventually(
        async () => {
          const r = await new ToolCallsRepository(t.db).get(callId, 'call_j1');
          return r?.status === 'succeeded' ? r : undefined;
        },
        20_000,
        'tool_calls row',
      );
      expect(row).toMatchObject({ name: 'get_weather', result: { tempC: 21 }, attempts: 1, requestedBy: instanceId });
      expect(weather.requests.filter((r) => r.headers['x-ava-idempotency-key'] === `${callId}:call_j1`)).toHaveLength(
        1,
      );
      // The answer is played; then both turns are stored, in order, with timing.
      await waitFor(() => bridge.playout.bufferedMs >= 400, 10_000, 'answer audio');
      bridge.play(25);
      await waitFor(() => appends.length === 2, 10_000, 'two turns');
      await Promise.all(appends);
      const stored = await transcripts.listByCall(callId);
      expect(stored.map((r) => ({ seq: r.seq, role: r.role, text: r.text, truncated: r.truncated }))).toEqual([
        { seq: 1, role: 'caller', text: 'What is the weather in Oslo?', truncated: false },
        { seq: 2, role: 'agent', text: 'It is 21 degrees in Oslo.', truncated: false },
      ]);
      expect(stored[0]!.startedAtMs).not.toBeNull();
      expect(stored[1]!.itemId).toMatch(/^item_/);
    } finally {
      await agent.close('caller_hangup', 'caller');
    }
  }, 40_000);
});
