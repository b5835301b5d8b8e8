import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ControlCommand } from '../../../src/jobs/control-commands.js';
import { createJobLayer, type JobLayer } from '../../../src/jobs/job-layer.js';
import type { ToolCallResult } from '../../../src/jobs/tool-call-types.js';
import { FakeCallController } from '../../fakes/jobs-fake-controller.js';
import { HttpReceiver } from '../../fakes/jobs-http-receiver.js';
import type { InstanceChildCommand, InstanceChildConfig } from '../../fakes/jobs-instance-child.js';
import { RecordingToolResultSink } from '../../fakes/jobs-result-sink.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { fakeScript, startTsxChild, type TsxChild } from './child-process.js';
import { cleanRedis, FAST_TUNING, REDIS_URL, randomPrefix, testLogger } from './job-test-env.js';

const SECRET = 'two_instances_secret_0123456789';

type ChildMessage =
  | { type: 'ready' }
  | { type: 'closed' }
  | { type: 'claimed'; callId: string }
  | { type: 'controller'; command: ControlCommand }
  | { type: 'tool-result'; result: ToolCallResult; outcome: string }
  | { type: 'executed'; id: string; ok: boolean; value?: unknown; code?: string };

describe('two instances on one Redis and one MySQL', () => {
  it('route control commands to the owner and tool results to the instance holding the call', async () => {
    const prefix = randomPrefix();
    let t: TempDatabase | undefined;
    let a: JobLayer | undefined;
    let b: TsxChild | undefined;
    let tool: HttpReceiver | undefined;
    try {
      t = await createTempDatabase();
      tool = await HttpReceiver.start(SECRET, (req) => ({
        status: 200,
        body: { answeredFor: (req.json as { callId: string }).callId },
      }));
      const tools = [{ name: 'lookup', url: tool.url('/lookup'), secret: SECRET }];

      const bConfig: InstanceChildConfig = {
        redisUrl: REDIS_URL,
        mysqlUrl: t.url,
        prefix,
        instanceId: 'instance-b',
        tools,
        tuning: FAST_TUNING,
      };
      b = startTsxChild(fakeScript('jobs-instance-child.ts'), { JOBS_CHILD_CONFIG: JSON.stringify(bConfig) });
      const child = b;
      const toB = (m: InstanceChildCommand): void => child.send(m);
      const fromB = <K extends ChildMessage['type']>(
        type: K,
        p: (m: Extract<ChildMessage, { type: K }>) => boolean = () => true,
      ) => child.message<Extract<ChildMessage, { type: K }>>((m) => m.type === type && p(m));

      const controllerA = new FakeCallController('instance-a');
      const sinkA = new RecordingToolResultSink('instance-a');
      a = await createJobLayer({
        redis: REDIS_URL,
        prefix,
        instanceId: 'instance-a',
        db: t.db,
        controller: controllerA,
        toolResultSink: sinkA,
        tools,
        logger: testLogger(),
        tuning: FAST_TUNING,
      });
      await a.ready();
      await fromB('ready');

      const callA = randomUUID();
      controllerA.live.add(callA);
      sinkA.live.add(callA);
      await a.ownership.claim(callA);
      const callB = randomUUID();
      toB({ cmd: 'claim', callId: callB });
      await fromB('claimed', (m) => m.callId === callB);

      // A controls B's call: the command runs in B's process.
      expect(await a.controlClient.execute({ type: 'dtmf', callId: callB, digits: '77' })).toEqual({ sent: 2 });
      const ranOnB = await fromB('controller', (m) => m.command.type === 'dtmf');
      expect(ranOnB.command).toMatchObject({ callId: callB, digits: '77' });
      expect(controllerA.count('dtmf')).toBe(0);

      // B controls A's call: the command runs here, the result goes back to B.
      toB({ cmd: 'execute', id: 'x1', command: { type: 'play', callId: callA, media: ['sound:hi'] } });
      const executed = await fromB('executed', (m) => m.id === 'x1');
      expect(executed).toMatchObject({ ok: true, value: { playbackId: expect.any(String) } });
      expect(controllerA.count('play', callA)).toBe(1);

      // Tool calls asked from one instance for the other's call: the result lands where the call lives.
      await a.toolCalls.submit({ callId: callB, toolCallId: 'tb-1', name: 'lookup', arguments: { q: 1 } });
      toB({ cmd: 'submit', request: { callId: callA, toolCallId: 'ta-1', name: 'lookup', arguments: { q: 2 } } });
      const atB = await fromB('tool-result', (m) => m.result.toolCallId === 'tb-1');
      expect(atB.outcome).toBe('delivered');
      expect(atB.result).toMatchObject({ callId: callB, status: 'succeeded', output: { answeredFor: callB } });
      const atA = await sinkA.waitFor('ta-1');
      expect(atA).toMatchObject({ callId: callA, status: 'succeeded', output: { answeredFor: callA } });
      expect(sinkA.received.some((r) => r.toolCallId === 'tb-1')).toBe(false);

      // A built-in tool for B's call, submitted on A: its control command runs on B, its result reaches B.
      await a.toolCalls.submit({ callId: callB, toolCallId: 'tb-2', name: 'hangup', arguments: { reason: 'done' } });
      await fromB('controller', (m) => m.command.type === 'hangup');
      const hung = await fromB('tool-result', (m) => m.result.toolCallId === 'tb-2');
      expect(hung.result).toMatchObject({ status: 'succeeded', output: { ended: true } });
      expect(controllerA.count('hangup')).toBe(0);
      expect(sinkA.received.length).toBe(1);

      toB({ cmd: 'close' });
      await fromB('closed');
    } finally {
      await b?.kill();
      await a?.close();
      await tool?.close();
      await t?.drop();
      await cleanRedis(REDIS_URL, prefix);
    }
  }, 90_000);
});
