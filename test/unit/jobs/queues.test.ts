import type { Job, Queue, Worker } from 'bullmq';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CallEventPayloads, CallEventSink, CallEventType } from '../../../src/jobs/call-event-types.js';
import { isCallEventType, parseCallEvent } from '../../../src/jobs/call-event-types.js';
import type { ControlCommandInputOf } from '../../../src/jobs/call-control-client.js';
import {
  CONTROL_COMMAND_TYPES,
  callIdSchema,
  type ControlCommandType,
  type ControlResults,
  controlCommandSchema,
} from '../../../src/jobs/control-commands.js';
import {
  type ControlJobData,
  type ControlJobResult,
  instanceQueueName,
  type PersistEventJobData,
  persistEventJobDataSchema,
  toolCallJobId,
  toolCallKey,
  type TypedJob,
  type TypedQueue,
  type TypedWorker,
} from '../../../src/jobs/queues.js';
import { toolCallResultSchema } from '../../../src/jobs/tool-call-types.js';

describe('queue and job types', () => {
  it('flow through Queue<Data, Result, Name>', () => {
    expectTypeOf<TypedQueue<'callControl'>>().toEqualTypeOf<
      Queue<ControlJobData, ControlJobResult, ControlCommandType>
    >();
    expectTypeOf<TypedWorker<'callEvents'>>().toEqualTypeOf<
      Worker<PersistEventJobData, { rowId: number; seq: number; deliveries: number }, 'persist'>
    >();
    expectTypeOf<TypedJob<'toolCalls'>['name']>().toEqualTypeOf<'run'>();
    expectTypeOf<Parameters<TypedQueue<'callEvents'>['add']>[0]>().toEqualTypeOf<'persist'>();
    expectTypeOf<TypedJob<'callControl'>>().toMatchTypeOf<Job<ControlJobData>>();
  });

  it('map each command type to its result type', () => {
    expectTypeOf<ControlResults['hangup']>().toEqualTypeOf<{ ended: boolean }>();
    expectTypeOf<ControlResults['originate']>().toEqualTypeOf<{ callId: string; channelId: string | null }>();
    expectTypeOf<ControlCommandInputOf<'dtmf'>>().toHaveProperty('digits');
    expectTypeOf<ControlCommandInputOf<'originate'>['callId']>().toEqualTypeOf<string | undefined>();
  });

  it('type event payloads by event type', () => {
    expectTypeOf<CallEventPayloads['call.dtmf']>().toEqualTypeOf<{ digit: string; [k: string]: unknown }>();
    expectTypeOf<CallEventSink['emit']>().parameter(1).toEqualTypeOf<CallEventType>();
    const sink: CallEventSink = { emit: () => undefined };
    sink.emit('c', 'call.ended', { closeReason: 'x' });
    // @ts-expect-error a dtmf event needs its digit
    sink.emit('c', 'call.dtmf', {});
    // @ts-expect-error unknown event types are refused
    sink.emit('c', 'call.unknown', {});
  });

  it('validate payloads crossing the process boundary', () => {
    expect(CONTROL_COMMAND_TYPES).toEqual(controlCommandSchema.options.map((o) => o.shape.type.value));
    expect(controlCommandSchema.safeParse({ type: 'hangup', callId: 'a:b' }).success).toBe(false);
    expect(controlCommandSchema.safeParse({ type: 'play', callId: 'abc', media: [] }).success).toBe(false);
    expect(controlCommandSchema.safeParse({ type: 'dtmf', callId: 'abc', digits: '12*#A' }).success).toBe(true);
    expect(controlCommandSchema.safeParse({ type: 'hangup', callId: 'abc', extra: 1 }).success).toBe(false);
    expect(
      persistEventJobDataSchema.safeParse({ eventId: 'x', callId: 'c', seq: 1, type: 't', payload: {}, occurredAt: 1 })
        .success,
    ).toBe(false);
    expect(toolCallResultSchema.safeParse({ callId: 'c', toolCallId: 't', name: 'n', status: 'failed' }).success).toBe(
      false,
    );
    expect(isCallEventType('call.ended')).toBe(true);
    expect(isCallEventType('toString')).toBe(false);
    expect(parseCallEvent('call.dtmf', { digit: '5', extra: true })).toEqual({
      type: 'call.dtmf',
      payload: { digit: '5', extra: true },
    });
    expect(() => parseCallEvent('call.dtmf', { digit: '55' })).toThrow();
  });

  it('name per-instance queues and tool-call job ids within BullMQ rules', () => {
    expect(instanceQueueName('call-control', 'host:1234')).toBe('call-control.host%3A1234');
    expect(toolCallJobId('3f2b6c1e-0000-4000-8000-000000000000', 'call_1:x')).toBe(
      '3f2b6c1e-0000-4000-8000-000000000000.call_1%3Ax',
    );
    // Unambiguous because call ids cannot contain the separator.
    expect(callIdSchema.safeParse('c.a').success).toBe(false);
    expect(toolCallKey('c', 't')).toBe('c:t');
  });
});
