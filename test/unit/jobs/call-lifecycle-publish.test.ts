import { readFileSync } from 'node:fs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  LIFECYCLE_EVENT_TYPES,
  type LifecycleEventData,
  type LifecycleEventType,
  PUBLIC_CALL_EVENT_NAMES,
  PUBLIC_EVENT_NAME,
} from '../../../src/calls/call-lifecycle.js';
import { CallRegistry } from '../../../src/calls/call-registry.js';
import { CallSession, type CallSessionOptions } from '../../../src/calls/call-session.js';
import type { Route } from '../../../src/config/routes.js';
import { CALL_EVENT_TYPES, type CallEventSink, parseCallEvent } from '../../../src/jobs/call-event-types.js';
import type { CallOwnership } from '../../../src/jobs/call-ownership.js';
import { CallRecorder } from '../../../src/jobs/call-recorder.js';

/** One sample of every lifecycle event; the type makes a new event fail to compile here until it has one. */
const SAMPLES: { [K in LifecycleEventType]: LifecycleEventData[K] } = {
  'call.started': { direction: 'inbound', channel: 'ch-1', caller: '+15551234', exten: '100' },
  'ari.failed': { message: 'bridge create failed' },
  answered: {},
  'media.requested': { bridge: 'br-1', mediaChannel: 'mc-1', format: 'slin', uuid: 'u-1' },
  'media.connected': { format: { encoding: 'pcm16', sampleRate: 8000 }, agent: 'native' },
  'media.left_bridge': { channel: 'media-1', bridge: 'bridge-1' },
  'media.gap': { startedAt: new Date(0).toISOString(), durationMs: 400, filledFrames: 20, open: false, leading: false },
  'media.timeout': { cause: 'silence_limit', silentMs: 30_000 },
  'amd.result': { mode: 'adapter', result: 'machine', cause: 'LONGGREETING', decisionMs: 1520 },
  'agent.failed': { code: 'AGENT_CONNECT_TIMEOUT', message: 'too slow' },
  'agent.connected': { kind: 'native' },
  dtmf: { digit: '5' },
  action: { type: 'transfer', target: { endpoint: 'PJSIP/200' } },
  control: { type: 'hangup', reason: null },
  transcript: { role: 'agent', text: 'Hello', itemId: 'item_1', truncated: false },
  'recording.started': { name: 'rec-1', format: 'wav' },
  'recording.finished': { name: 'rec-1', status: 'done' },
  'webrtc.negotiated': { codec: 'PCMU', payloadType: 0, offered: ['PCMU'] },
  'webrtc.connected': { codec: 'PCMU' },
  'webrtc.failed': { code: 'WEBRTC_ICE_FAILED', message: 'ice failed' },
  'transfer.started': { transferId: 't-1', target: 'PJSIP/200', hold: 'moh', reason: 'billing question' },
  'transfer.ringing': { transferId: 't-1', channel: 'ava-wt-1' },
  'transfer.answered': { transferId: 't-1', channel: 'ava-wt-1' },
  'transfer.summary_played': { transferId: 't-1', via: 'prompt' },
  'transfer.completed': { transferId: 't-1', bridge: 'ava-wt-hold-1' },
  'transfer.failed': { transferId: 't-1', reason: 'busy', message: 'busy', cause: 17, causeText: 'User busy' },
  'call.ended': { reason: 'caller_hangup', initiator: 'caller', cause: 16, text: 'Normal Clearing' },
};

function harness() {
  const registry = new CallRegistry();
  const emitted: Array<{ type: string; payload: unknown }> = [];
  const sink: CallEventSink = { emit: (_callId, type, payload) => void emitted.push({ type, payload }) };
  const ownership = { claim: async () => {}, release: async () => {} } as unknown as CallOwnership;
  const logger = pino({ level: 'silent' });
  const recorder = new CallRecorder({ registry, sink, ownership, instanceId: 'i-1', logger });
  recorder.start();
  const route = { name: 'main', agent: { kind: 'native' } } as unknown as Route;
  const session = new CallSession({
    info: {
      callId: 'call-1',
      direction: 'inbound',
      caller: '+15551234',
      callee: '100',
      route,
      legFormat: { encoding: 'pcm16', sampleRate: 8000 },
      channelId: 'ch-1',
      startedAt: new Date(),
      customParameters: {},
    },
    logger,
  } as unknown as CallSessionOptions);
  registry.add(session);
  emitted.length = 0; // the `call.created` of the registry, not of the lifecycle stream
  return { session, emitted };
}

describe('lifecycle events and their public names', () => {
  it('names only public call events that have a payload schema, and every schema has a public name', () => {
    expect([...CALL_EVENT_TYPES].sort()).toEqual([...PUBLIC_CALL_EVENT_NAMES].sort());
    for (const type of LIFECYCLE_EVENT_TYPES) {
      const name = PUBLIC_EVENT_NAME[type];
      if (name !== null) expect(PUBLIC_CALL_EVENT_NAMES, type).toContain(name);
    }
  });

  it('the README lists every public name a lifecycle event is published under', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('**Lifecycle events**'));
    const listed = section.slice(0, section.indexOf(') are stored in order'));
    for (const type of LIFECYCLE_EVENT_TYPES) {
      const name = PUBLIC_EVENT_NAME[type];
      if (name !== null) expect(listed, `${type} → ${name}`).toContain(`\`${name}\``);
    }
  });

  it.each(LIFECYCLE_EVENT_TYPES)('the recorder publishes %s under its public name, with a valid payload', (type) => {
    const { session, emitted } = harness();
    if (type === 'media.connected') session.record('media.requested', SAMPLES['media.requested']);
    session.record(type, SAMPLES[type] as never);
    const name = PUBLIC_EVENT_NAME[type];
    expect(emitted.map((e) => e.type)).toEqual(name === null ? [] : [name]);
    for (const e of emitted) {
      expect(() => parseCallEvent(e.type as (typeof CALL_EVENT_TYPES)[number], e.payload)).not.toThrow();
    }
  });

  it('folds the media ids of media.requested into call.media_connected', () => {
    const { session, emitted } = harness();
    session.record('media.requested', SAMPLES['media.requested']);
    session.record('media.connected', SAMPLES['media.connected']);
    expect(emitted).toEqual([
      { type: 'call.media_connected', payload: { mediaChannelId: 'mc-1', bridgeId: 'br-1', audiosocketUuid: 'u-1' } },
    ]);
  });

  it('publishes an agent action only when it is a transfer', () => {
    const { session, emitted } = harness();
    session.record('action', { type: 'mute' });
    session.record('action', { type: 'hangup' });
    expect(emitted).toEqual([]);
  });

  it('publishes call.ended with the close reason, its state and the hangup cause', () => {
    const { session, emitted } = harness();
    session.record('call.ended', { reason: 'agent_failed', initiator: 'agent' });
    expect(emitted).toEqual([
      {
        type: 'call.ended',
        payload: {
          state: 'failed',
          closeReason: 'agent_failed',
          initiator: 'agent',
          hangupCause: null,
          hangupCauseTxt: null,
        },
      },
    ]);
  });

  it('a call whose media channel left the bridge (no translation path) is recorded as failed', () => {
    const { session, emitted } = harness();
    session.record('call.ended', { reason: 'media_left_bridge', initiator: 'system' });
    expect(emitted[0]?.payload).toMatchObject({ state: 'failed', closeReason: 'media_left_bridge' });
  });
});
