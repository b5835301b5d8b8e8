import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AGENT_COMMAND_NAMES,
  AGENT_PROTOCOL_SCHEMA_FILE,
  ADAPTER_EVENT_NAMES,
  buildAgentProtocolJsonSchema,
  UNSUPPORTED_COMMAND_NAMES,
} from '../../../src/protocols/agent/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

interface Branch {
  properties: Record<string, { const?: string; enum?: string[] }>;
}

describe('docs/agent-protocol.schema.json', () => {
  it('equals what scripts/gen-agent-schema.ts generates (run it after changing the protocol)', () => {
    const committed = JSON.parse(readFileSync(resolve(ROOT, AGENT_PROTOCOL_SCHEMA_FILE), 'utf8')) as unknown;
    expect(committed).toEqual(buildAgentProtocolJsonSchema());
  });

  it('describes every event and command by name', () => {
    const schema = buildAgentProtocolJsonSchema() as {
      $defs: Record<string, { oneOf?: Branch[]; properties?: Branch['properties'] }>;
    };
    const events = schema.$defs['AdapterEvent']!.oneOf!.map((b) => b.properties['event']!.const);
    expect(events).toEqual([...ADAPTER_EVENT_NAMES]);
    const commands = schema.$defs['AgentCommand']!.oneOf!.map((b) => b.properties['command']!.const);
    expect(commands).toEqual([...AGENT_COMMAND_NAMES]);
    expect(schema.$defs['UnsupportedCommand']!.properties!['command']!.enum).toEqual([...UNSUPPORTED_COMMAND_NAMES]);
  });

  it('requires exactly one of url and file for play', () => {
    const schema = buildAgentProtocolJsonSchema() as {
      $defs: { AgentCommand: { oneOf: Array<Record<string, unknown>> } };
    };
    const play = schema.$defs.AgentCommand.oneOf.find(
      (b) => (b['properties'] as Branch['properties'])['command']?.const === 'play',
    );
    expect(play?.['oneOf']).toEqual([{ required: ['url'] }, { required: ['file'] }]);
  });
});
