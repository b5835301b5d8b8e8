import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ADAPTER_EVENT_NAMES,
  AGENT_COMMAND_NAMES,
  type AdapterEventName,
  type AgentCommand,
  type AgentWireCommandName,
  encodeAdapterEvent,
  encodeAgentCommand,
  parseAdapterEvent,
  parseAgentMessage,
  UNSUPPORTED_COMMAND_NAMES,
} from '../../../src/protocols/agent/index.js';
import { assertNever } from '../../../src/lib/assert-never.js';
import { COMMAND_SAMPLES, EVENT_SAMPLES } from './agent-protocol-samples.js';

describe('native agent protocol: commands', () => {
  it('name lists cover the unions exactly', () => {
    expectTypeOf<(typeof AGENT_COMMAND_NAMES)[number]>().toEqualTypeOf<AgentWireCommandName>();
    expectTypeOf<(typeof ADAPTER_EVENT_NAMES)[number]>().toEqualTypeOf<AdapterEventName>();
    expect(new Set(COMMAND_SAMPLES.map((c) => c.command))).toEqual(new Set(AGENT_COMMAND_NAMES));
    expect(new Set(EVENT_SAMPLES.map((e) => e.event))).toEqual(new Set(ADAPTER_EVENT_NAMES));
  });

  it.each(COMMAND_SAMPLES.map((c) => [c.command, c] as const))('%s round trips', (_name, command) => {
    const result = parseAgentMessage(encodeAgentCommand(command));
    expect(result).toEqual({ ok: true, command });
  });

  it.each(UNSUPPORTED_COMMAND_NAMES)('recognises %s as unsupported', (name) => {
    const result = parseAgentMessage(JSON.stringify({ command: name, text: 'hello', playId: 'x' }));
    expect(result).toEqual({ ok: true, command: { command: 'unsupported', name } });
  });

  it('ignores unknown extra fields', () => {
    const result = parseAgentMessage('{"command":"accept","recorder":true,"future":{"x":1}}');
    expect(result).toEqual({ ok: true, command: { command: 'accept' } });
  });

  it.each([
    ['{', 'malformed_json'],
    ['', 'malformed_json'],
    ['[]', 'malformed_json'],
    ['42', 'malformed_json'],
    ['null', 'malformed_json'],
    ['"accept"', 'malformed_json'],
    ['{}', 'unknown_command'],
    ['{"command":7}', 'unknown_command'],
    ['{"command":"dance"}', 'unknown_command'],
    ['{"command":"unsupported"}', 'unknown_command'],
    ['{"command":"play"}', 'invalid_command'],
    ['{"command":"play","url":"https://x/a.wav","file":"a"}', 'invalid_command'],
    ['{"command":"play","url":"ftp://x/a.wav"}', 'invalid_command'],
    ['{"command":"play","file":"../../etc/passwd"}', 'invalid_command'],
    ['{"command":"reject"}', 'invalid_command'],
    ['{"command":"reject","reason":"x","code":200}', 'invalid_command'],
    ['{"command":"accept","audio":{"sampleRate":44100}}', 'invalid_command'],
    ['{"command":"dtmf","digits":"12x"}', 'invalid_command'],
    ['{"command":"dtmf","digits":""}', 'invalid_command'],
    ['{"command":"refer","target":{"context":"a","extension":"1","endpoint":"PJSIP/2"}}', 'invalid_command'],
    ['{"command":"refer","target":{}}', 'invalid_command'],
    ['{"command":"audio.start"}', 'invalid_command'],
    ['{"command":"audio.end","playId":""}', 'invalid_command'],
    ['{"command":"mark","name":""}', 'invalid_command'],
    ['{"command":"interrupt","graceful":"yes"}', 'invalid_command'],
  ] as const)('%s → %s', (text, code) => {
    const result = parseAgentMessage(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(code);
    expect(result.error.message.length).toBeGreaterThan(0);
  });

  it('carries frameMs in accept as sent, so the adapter can answer a bad one without refusing the accept', () => {
    for (const frameMs of [20, 100, 30, 'x', null]) {
      const result = parseAgentMessage(JSON.stringify({ command: 'accept', audio: { frameMs } }));
      expect(result).toEqual({ ok: true, command: { command: 'accept', audio: { frameMs } } });
    }
    expect(parseAgentMessage('{"command":"accept","audio":{"sampleRate":8000,"frameMs":60}}')).toEqual({
      ok: true,
      command: { command: 'accept', audio: { sampleRate: 8000, frameMs: 60 } },
    });
  });

  it('names the command and the field at fault', () => {
    const result = parseAgentMessage('{"command":"reject","reason":"x","code":200}');
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_command', command: 'reject' } });
    if (!result.ok) expect(result.error.message).toContain('code');
    const unknown = parseAgentMessage('{"command":"dance"}');
    expect(unknown).toMatchObject({ ok: false, error: { command: 'dance' } });
  });

  it('switches over parsed commands exhaustively', () => {
    const label = (c: AgentCommand): string => {
      switch (c.command) {
        case 'accept':
        case 'reject':
        case 'ringing':
        case 'play':
        case 'interrupt':
        case 'hangup':
        case 'refer':
        case 'mute':
        case 'unmute':
        case 'mark':
        case 'dtmf':
        case 'audio.start':
        case 'audio.end':
        case 'invite':
          return c.command;
        case 'unsupported':
          return `unsupported:${c.name}`;
        default:
          return assertNever(c, 'command');
      }
    };
    const parsed = parseAgentMessage('{"command":"tts","text":"hi"}');
    expect(parsed.ok && label(parsed.command)).toBe('unsupported:tts');
  });
});

describe('native agent protocol: events', () => {
  it.each(EVENT_SAMPLES.map((e, i) => [`${e.event}#${i}`, e] as const))('%s round trips', (_name, event) => {
    expect(parseAdapterEvent(encodeAdapterEvent(event))).toEqual({ ok: true, event });
  });

  it.each([
    ['nope', 'malformed_json'],
    ['{"callId":"a","timestamp":1}', 'unknown_event'],
    ['{"event":"bogus","callId":"a","timestamp":1}', 'unknown_event'],
    ['{"event":"answer","callId":"","timestamp":1}', 'invalid_event'],
    ['{"event":"answer","callId":"a","timestamp":-1}', 'invalid_event'],
    ['{"event":"answer","callId":"a","timestamp":1.5}', 'invalid_event'],
    ['{"event":"dtmf","callId":"a","timestamp":1,"digit":"55"}', 'invalid_event'],
    [
      '{"event":"hangup","callId":"a","timestamp":1,"reason":"x","initiator":"martian","startTime":1,"hangupTime":2}',
      'invalid_event',
    ],
  ] as const)('%s → %s', (text, code) => {
    const result = parseAdapterEvent(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(code);
  });

  it('rejects an incoming event offering an unsupported rate', () => {
    const incoming = EVENT_SAMPLES[0]!;
    const text = JSON.stringify({ ...incoming, audio: { encoding: 'pcm16', sampleRate: 48000, frameMs: 20 } });
    expect(parseAdapterEvent(text)).toMatchObject({ ok: false, error: { code: 'invalid_event', event: 'incoming' } });
  });
});
