import { z } from 'zod';
import { agentWireCommandSchema, unsupportedCommandSchema } from './commands.js';
import { AGENT_PROTOCOL_VERSION } from './common.js';
import { adapterEventSchema } from './events.js';
import { webrtcSignalCommandSchema, webrtcSignalEventSchema } from './webrtc-signalling.js';

/** Repository path of the committed JSON Schema document. */
export const AGENT_PROTOCOL_SCHEMA_FILE = 'docs/agent-protocol.schema.json';

/** One schema without its own `$schema` key, for embedding under `$defs`. */
function embed(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
  return rest;
}

/**
 * The JSON Schema (draft 2020-12) of the native agent protocol, generated from the zod schemas the adapter parses
 * with. `AdapterEvent` describes text frames the adapter sends; `AgentCommand` describes text frames an agent may
 * send (`UnsupportedCommand` lists names that are recognised but answered with `error unsupported_command`;
 * `WebRtcSignalEvent` and `WebRtcSignalCommand` are the offer/answer/candidate frames of WebRTC routes).
 * Unknown extra fields are allowed in both directions.
 */
export function buildAgentProtocolJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Asterisk voice-AI adapter: native agent protocol v${AGENT_PROTOCOL_VERSION}`,
    description:
      'JSON text frames exchanged over the agent WebSocket. Binary frames (PCM16 little-endian mono at the ' +
      'negotiated rate) are not described here. See docs/agent-protocol.md.',
    'x-protocol-version': AGENT_PROTOCOL_VERSION,
    oneOf: [
      { $ref: '#/$defs/AdapterEvent' },
      { $ref: '#/$defs/AgentCommand' },
      { $ref: '#/$defs/UnsupportedCommand' },
      { $ref: '#/$defs/WebRtcSignalEvent' },
      { $ref: '#/$defs/WebRtcSignalCommand' },
    ],
    $defs: {
      AdapterEvent: embed(adapterEventSchema),
      AgentCommand: embed(agentWireCommandSchema),
      UnsupportedCommand: embed(unsupportedCommandSchema),
      WebRtcSignalEvent: embed(webrtcSignalEventSchema),
      WebRtcSignalCommand: embed(webrtcSignalCommandSchema),
    },
  };
}

/** The schema document as written to `AGENT_PROTOCOL_SCHEMA_FILE`. */
export function renderAgentProtocolJsonSchema(): string {
  return `${JSON.stringify(buildAgentProtocolJsonSchema(), null, 2)}\n`;
}
