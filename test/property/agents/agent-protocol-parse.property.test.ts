import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADAPTER_EVENT_NAMES,
  AGENT_COMMAND_NAMES,
  type AgentWireCommand,
  parseAdapterEvent,
  parseAgentMessage,
  UNSUPPORTED_COMMAND_NAMES,
} from '../../../src/protocols/agent/index.js';

const COMMAND_CODES = ['malformed_json', 'unknown_command', 'invalid_command'];
const EVENT_CODES = ['malformed_json', 'unknown_event', 'invalid_event'];
const KNOWN = new Set<string>([...AGENT_COMMAND_NAMES, 'unsupported']);

function checkCommandResult(text: string): void {
  const result = parseAgentMessage(text);
  if (result.ok) {
    expect(KNOWN.has(result.command.command)).toBe(true);
  } else {
    expect(COMMAND_CODES).toContain(result.error.code);
    expect(typeof result.error.message).toBe('string');
  }
}

/** Objects that look like commands: a known or unknown name plus arbitrary fields. */
const commandLike = fc
  .record({
    command: fc.oneof(
      fc.constantFrom(...AGENT_COMMAND_NAMES, ...UNSUPPORTED_COMMAND_NAMES),
      fc.string(),
      fc.anything(),
    ),
    fields: fc.dictionary(
      fc.constantFrom('url', 'file', 'playId', 'reason', 'code', 'digits', 'name', 'target', 'graceful', 'audio', 'x'),
      fc.anything(),
    ),
  })
  .map(({ command, fields }) => ({ ...fields, command }));

const playId = fc.string({ minLength: 1, maxLength: 128 });
const validCommand: fc.Arbitrary<AgentWireCommand> = fc.oneof(
  fc.constant<AgentWireCommand>({ command: 'accept' }),
  fc
    .constantFrom(8000, 16000, 24000)
    .map((sampleRate): AgentWireCommand => ({ command: 'accept', audio: { sampleRate } })),
  fc
    .record({ reason: fc.string({ minLength: 1, maxLength: 256 }), code: fc.integer({ min: 400, max: 699 }) })
    .map((r): AgentWireCommand => ({ command: 'reject', ...r })),
  fc.webUrl().map((url): AgentWireCommand => ({ command: 'play', url })),
  fc.boolean().map((graceful): AgentWireCommand => ({ command: 'interrupt', graceful })),
  fc.stringMatching(/^[0-9A-D*#]{1,64}$/).map((digits): AgentWireCommand => ({ command: 'dtmf', digits })),
  fc.string({ minLength: 1, maxLength: 256 }).map((name): AgentWireCommand => ({ command: 'mark', name })),
  fc.record({ playId, protected: fc.boolean() }).map((r): AgentWireCommand => ({ command: 'audio.start', ...r })),
  playId.map((id): AgentWireCommand => ({ command: 'audio.end', playId: id })),
  fc
    .record({ context: fc.string({ minLength: 1 }), extension: fc.string({ minLength: 1 }) })
    .map((target): AgentWireCommand => ({ command: 'refer', target })),
);

describe('parseAgentMessage properties', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => checkCommandResult(s)),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.json(), (s) => checkCommandResult(s)),
      { numRuns: 1000 },
    );
  });

  it('never throws on command-like objects, and only accepts known commands', () => {
    fc.assert(
      fc.property(commandLike, (o) => checkCommandResult(JSON.stringify(o))),
      { numRuns: 2000 },
    );
  });

  it('round trips generated valid commands', () => {
    fc.assert(
      fc.property(validCommand, (command) => {
        expect(parseAgentMessage(JSON.stringify(command))).toEqual({ ok: true, command });
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseAdapterEvent properties', () => {
  it('never throws on arbitrary strings and JSON', () => {
    const eventLike = fc
      .record({ event: fc.oneof(fc.constantFrom(...ADAPTER_EVENT_NAMES), fc.anything()), rest: fc.object() })
      .map(({ event, rest }) => JSON.stringify({ ...rest, event }));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json(), eventLike), (s) => {
        const result = parseAdapterEvent(s);
        if (!result.ok) expect(EVENT_CODES).toContain(result.error.code);
      }),
      { numRuns: 2000 },
    );
  });
});
