import { describe, expect, it } from 'vitest';
import {
  type AriEvent,
  ChannelSchema,
  BridgeSchema,
  AsteriskInfoSchema,
  ApplicationSchema,
  EndpointSchema,
  parseAriEvent,
  parseAriEventText,
} from '../../../src/protocols/ari/index.js';
import { assertNever } from '../../../src/lib/assert-never.js';
import { recordedEvents, recordedRest, scenarios } from './fixture-files.js';

/** A consumer-style exhaustive switch: compiles only while every member of AriEvent is handled. */
function describeEvent(ev: AriEvent): string {
  switch (ev.type) {
    case 'StasisStart':
      return `start ${ev.channel.id} [${ev.args.join(',')}]`;
    case 'StasisEnd':
    case 'ChannelCreated':
    case 'ChannelStateChange':
    case 'ChannelConnectedLine':
    case 'ChannelHold':
    case 'ChannelUnhold':
    case 'ChannelTalkingStarted':
    case 'ChannelDialplan':
    case 'ChannelCallerId':
      return `${ev.type} ${ev.channel.id} ${ev.channel.state}`;
    case 'ChannelDtmfReceived':
      return `dtmf ${ev.digit} ${ev.duration_ms}`;
    case 'ChannelHangupRequest':
      return `hangup-request ${ev.cause ?? '-'} ${ev.soft ?? '-'}`;
    case 'ChannelDestroyed':
      return `destroyed ${ev.cause} ${ev.cause_txt}`;
    case 'ChannelVarset':
      return `varset ${ev.variable}`;
    case 'ChannelEnteredBridge':
    case 'ChannelLeftBridge':
      return `${ev.type} ${ev.bridge.id}`;
    case 'ChannelTalkingFinished':
      return `talking ${ev.duration}`;
    case 'ChannelUserevent':
      return `user ${ev.eventname}`;
    case 'BridgeCreated':
    case 'BridgeDestroyed':
    case 'BridgeMerged':
      return `${ev.type} ${ev.bridge.id}`;
    case 'BridgeBlindTransfer':
      return `transfer ${ev.exten}`;
    case 'PlaybackStarted':
    case 'PlaybackContinuing':
    case 'PlaybackFinished':
      return `${ev.type} ${ev.playback.state}`;
    case 'RecordingStarted':
    case 'RecordingFinished':
    case 'RecordingFailed':
      return `${ev.type} ${ev.recording.state}`;
    case 'Dial':
      return `dial ${ev.dialstatus}`;
    case 'ApplicationReplaced':
      return 'replaced';
    case 'EndpointStateChange':
      return `endpoint ${ev.endpoint.resource}`;
    case 'UnknownEvent':
      return `unknown ${ev.originalType}`;
    default:
      return assertNever(ev, 'ARI event');
  }
}

describe('ARI event parsing against recorded Asterisk 22.10 traffic', () => {
  const all = scenarios().flatMap((s) => recordedEvents(s).map((r, i) => ({ scenario: s, index: i, rec: r })));

  it('has recorded events to check', () => {
    expect(all.length).toBeGreaterThan(350);
  });

  it('parses every recorded event into its typed member (none falls back to UnknownEvent)', () => {
    const failures: string[] = [];
    const types = new Set<string>();
    for (const { scenario, index, rec } of all) {
      const result = parseAriEvent(rec.event);
      if (!result.ok) {
        failures.push(`${scenario}#${index} ${rec.event.type}: ${JSON.stringify(result.failure)}`);
        continue;
      }
      if (result.event.type === 'UnknownEvent') failures.push(`${scenario}#${index} fell back to UnknownEvent`);
      expect(result.event.type).toBe(rec.event.type);
      expect(describeEvent(result.event)).toBeTypeOf('string');
      types.add(result.event.type);
    }
    expect(failures).toEqual([]);
    expect([...types].sort()).toEqual([
      'BridgeDestroyed',
      'ChannelConnectedLine',
      'ChannelDestroyed',
      'ChannelDtmfReceived',
      'ChannelEnteredBridge',
      'ChannelHangupRequest',
      'ChannelLeftBridge',
      'ChannelStateChange',
      'ChannelVarset',
      'Dial',
      'StasisEnd',
      'StasisStart',
    ]);
  });

  it('keeps the fields that matter from the recordings', () => {
    const dtmf = recordedEvents('03-dtmf')
      .map((r) => parseAriEvent(r.event))
      .flatMap((r) => (r.ok && r.event.type === 'ChannelDtmfReceived' ? [r.event] : []));
    expect(dtmf.map((e) => [e.digit, e.duration_ms])).toEqual([
      ['1', 160],
      ['5', 160],
      ['#', 240],
    ]);
    const hangups = recordedEvents('01-inbound-audiosocket-slin')
      .map((r) => parseAriEvent(r.event))
      .flatMap((r) => (r.ok && r.event.type === 'ChannelHangupRequest' ? [r.event] : []));
    // Caller BYE: no cause/soft; ARI DELETE of the AudioSocket channel: cause 32, soft.
    expect(hangups.map((h) => [h.channel.name.split('/')[0], h.cause, h.soft])).toEqual([
      ['PJSIP', undefined, undefined],
      ['AudioSocket', 32, true],
    ]);
    const start = parseAriEvent(recordedEvents('06-originate').find((r) => r.event.type === 'StasisStart')?.event);
    expect(start.ok && start.event.type === 'StasisStart' && start.event.args).toEqual(['outbound']);
  });

  it('parses every recorded REST response body with the resource schemas', () => {
    let checked = 0;
    for (const s of scenarios()) {
      for (const r of recordedRest(s)) {
        if (r.status >= 300 || r.response_body === null) continue;
        const path = r.path.split('?')[0] ?? '';
        const body = r.response_body;
        let schemaResult: { success: boolean } | undefined;
        if (path === '/ari/asterisk/info') schemaResult = AsteriskInfoSchema.safeParse(body);
        else if (path.startsWith('/ari/applications')) {
          schemaResult = Array.isArray(body)
            ? ApplicationSchema.array().safeParse(body)
            : ApplicationSchema.safeParse(body);
        } else if (path === '/ari/endpoints') schemaResult = EndpointSchema.array().safeParse(body);
        else if (path.startsWith('/ari/bridges')) {
          schemaResult = Array.isArray(body) ? BridgeSchema.array().safeParse(body) : BridgeSchema.safeParse(body);
        } else if (path.startsWith('/ari/channels')) {
          schemaResult = Array.isArray(body) ? ChannelSchema.array().safeParse(body) : ChannelSchema.safeParse(body);
        }
        expect(schemaResult, `${s} ${r.method} ${r.path}`).toBeDefined();
        expect(schemaResult?.success, `${s} ${r.method} ${r.path}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('ARI event parsing edge cases', () => {
  const channel = {
    id: '1.0',
    name: 'PJSIP/x-00000000',
    state: 'Up',
    caller: { name: '', number: '' },
    connected: { name: '', number: '' },
    accountcode: '',
    dialplan: { context: 'c', exten: 's', priority: 1 },
    creationtime: '2026-11-22T07:08:24.641+0000',
    language: 'en',
  };

  it('turns an event type it does not know into UnknownEvent with the raw message', () => {
    const raw = { type: 'ChannelFutureThing', application: 'a', timestamp: 't', extra: 1 };
    const r = parseAriEvent(raw);
    expect(r.ok).toBe(true);
    if (r.ok && r.event.type === 'UnknownEvent') {
      expect(r.event.originalType).toBe('ChannelFutureThing');
      expect(r.event.application).toBe('a');
      expect(r.event.raw).toEqual(raw);
    } else {
      expect.unreachable('expected UnknownEvent');
    }
  });

  it('reports invalid JSON, non-objects and schema mismatches as failures without throwing', () => {
    expect(parseAriEventText('{nope')).toMatchObject({ ok: false, failure: { reason: 'invalid_json' } });
    expect(parseAriEvent([1, 2])).toMatchObject({ ok: false, failure: { reason: 'not_an_event' } });
    expect(parseAriEvent({ application: 'a' })).toMatchObject({ ok: false, failure: { reason: 'not_an_event' } });
    const bad = parseAriEvent({ type: 'ChannelDtmfReceived', application: 'a', timestamp: 't', channel, digit: 5 });
    expect(bad).toMatchObject({ ok: false, failure: { reason: 'schema_mismatch', eventType: 'ChannelDtmfReceived' } });
  });

  it('drops fields it does not know and accepts optional ones missing', () => {
    const r = parseAriEventText(
      JSON.stringify({
        type: 'ChannelVarset',
        application: 'a',
        timestamp: 't',
        variable: 'X',
        value: '1',
        newField: 2,
      }),
    );
    expect(r).toEqual({
      ok: true,
      event: { type: 'ChannelVarset', application: 'a', timestamp: 't', variable: 'X', value: '1' },
    });
    const talking = parseAriEvent({
      type: 'ChannelTalkingFinished',
      application: 'a',
      timestamp: 't',
      channel,
      duration: 1200,
    });
    expect(talking.ok && describeEvent(talking.event)).toBe('talking 1200');
  });
});
