import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { fromWorkerSchema, type ToWorker, toWorkerSchema } from '../../../src/protocols/media-worker/messages.js';
import { IpcChannel } from '../../../src/transports/media-worker/ipc-channel.js';

const callInfo = {
  callId: 'c1',
  direction: 'inbound',
  routeName: 'default',
  startedAt: new Date(0).toISOString(),
  customParameters: { a: 'b' },
} as const;

describe('media worker channel messages', () => {
  it('parses each side’s messages and refuses malformed ones', () => {
    const open = { type: 'call.open', uuid: '3f2b6c1e-0000-4000-8000-000000000001', info: callInfo };
    expect(toWorkerSchema.parse(open)).toEqual(open);
    expect(toWorkerSchema.safeParse({ ...open, uuid: 'not-a-uuid' }).success).toBe(false);
    expect(toWorkerSchema.safeParse({ type: 'call.unknown', callId: 'c1' }).success).toBe(false);
    expect(toWorkerSchema.safeParse({ ...open, type: 'call.adopt', raw: '***' }).success).toBe(false);
    // A chan_websocket connection handed over before its handshake: request line, headers and the bytes read.
    const upgrade = { method: 'GET', url: '/media?ava_media=t', headers: { upgrade: 'websocket' }, head: '' };
    const handed = { type: 'call.webSocketMedia', info: callInfo, connectionId: 'ava', format: 'slin16', upgrade };
    expect(toWorkerSchema.parse(handed)).toEqual(handed);
    expect(toWorkerSchema.safeParse({ ...handed, upgrade: { ...upgrade, head: '***' } }).success).toBe(false);
    expect(toWorkerSchema.safeParse({ ...handed, upgrade: { ...upgrade, url: '' } }).success).toBe(false);
    const failed = { type: 'call.failed', callId: 'c1', reason: 'agent_failed', code: 'X' };
    expect(fromWorkerSchema.parse(failed)).toEqual(failed);
    // A worker cannot make up a close reason: only agent failures come from it.
    expect(fromWorkerSchema.safeParse({ ...failed, reason: 'caller_hangup' }).success).toBe(false);
    const silence = { type: 'call.uplinkSilence', callId: 'c1', silentMs: 250 };
    expect(fromWorkerSchema.parse(silence)).toEqual(silence);
    expect(fromWorkerSchema.safeParse({ ...silence, silentMs: -1 }).success).toBe(false);
    const close = { type: 'call.close', callId: 'c1', reason: 'caller_hangup', initiator: 'caller', hangupLeg: false };
    expect(toWorkerSchema.parse({ ...close, cause: 16 })).toEqual({ ...close, cause: 16 });
    expect(toWorkerSchema.parse(close)).toEqual(close);
    const action = { type: 'call.action', callId: 'c1', actionId: 1, action: { type: 'warmTransfer' } };
    expect(fromWorkerSchema.safeParse(action).success).toBe(false);
    // Tool calls and transcript turns of a worker's agent, and the tool's outcome back.
    const invoke = { type: 'tool.invoke', callId: 'c1', requestId: 1, toolCallId: 't1', name: 'f', arguments: {} };
    expect(fromWorkerSchema.parse(invoke)).toEqual(invoke);
    expect(fromWorkerSchema.safeParse({ ...invoke, name: '' }).success).toBe(false);
    const turn = { role: 'agent', text: 'hi', itemId: 'i1', startedAtMs: 0, endedAtMs: null, truncated: false };
    expect(fromWorkerSchema.parse({ type: 'transcript.turn', callId: 'c1', turn })).toMatchObject({ turn });
    expect(fromWorkerSchema.safeParse({ type: 'transcript.turn', callId: 'c1', turn: { text: 'x' } }).success).toBe(
      false,
    );
    const result = { type: 'tool.result', callId: 'c1', requestId: 1, result: { status: 'succeeded', output: 1 } };
    expect(toWorkerSchema.parse(result)).toEqual(result);
    const bad = { ...result, result: { status: 'failed', output: 1 } };
    expect(toWorkerSchema.safeParse(bad).success).toBe(false);
  });

  it('hands valid messages on, drops invalid ones with a warning, and sends typed messages', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'debug',
      pretty: false,
      destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
    });
    const sent: unknown[] = [];
    const endpoint = Object.assign(new EventEmitter(), {
      connected: true,
      send: (m: unknown) => sent.push(m) > 0,
    });
    const got: ToWorker[] = [];
    const channel = new IpcChannel<unknown, ToWorker>(endpoint, toWorkerSchema, (m) => got.push(m), logger);
    endpoint.emit('message', { type: 'call.mute', callId: 'c1', muted: true });
    endpoint.emit('message', { type: 'call.mute', callId: 'c1', muted: 'yes' });
    expect(got).toEqual([{ type: 'call.mute', callId: 'c1', muted: true }]);
    expect(lines.some((l) => String(l.msg).includes('message dropped (invalid)'))).toBe(true);
    expect(channel.send({ hello: 1 })).toBe(true);
    endpoint.connected = false;
    expect(channel.send({ hello: 2 })).toBe(false);
    expect(sent).toEqual([{ hello: 1 }]);
    channel.close();
    endpoint.emit('message', { type: 'call.mute', callId: 'c1', muted: false });
    expect(got).toHaveLength(1);
  });
});
