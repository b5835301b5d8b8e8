import { describeZodIssues, parseJsonObject } from './common.js';
import {
  AGENT_COMMAND_NAMES,
  type AgentCommand,
  agentWireCommandSchema,
  UNSUPPORTED_COMMAND_NAMES,
  type UnsupportedCommandName,
} from './commands.js';
import { ADAPTER_EVENT_NAMES, type AdapterEvent, adapterEventSchema } from './events.js';

/** Why an agent's text frame was refused; the codes are also the `error` event codes the adapter answers with. */
export type AgentMessageErrorCode = 'malformed_json' | 'unknown_command' | 'invalid_command';

export interface AgentMessageError {
  readonly code: AgentMessageErrorCode;
  readonly message: string;
  /** The `command` field, when the frame had a string one. */
  readonly command?: string;
}

export type ParseAgentMessageResult =
  | { readonly ok: true; readonly command: AgentCommand }
  | { readonly ok: false; readonly error: AgentMessageError };

const honoured: ReadonlySet<string> = new Set(AGENT_COMMAND_NAMES);
const unsupported: ReadonlySet<string> = new Set(UNSUPPORTED_COMMAND_NAMES);

/**
 * Parses one text frame from an agent into a command. Never throws.
 * - not JSON, or not a JSON object → `malformed_json`
 * - no string `command`, or a name the protocol does not know → `unknown_command`
 * - a known command with missing or invalid fields → `invalid_command`
 * - a recognised command the adapter cannot honour (`tts`, `pause`, …) → ok, `{command: 'unsupported', name}`
 */
export function parseAgentMessage(text: string): ParseAgentMessageResult {
  const json = parseJsonObject(text);
  if (!json.ok) return { ok: false, error: { code: 'malformed_json', message: json.message } };
  const name = json.value['command'];
  if (typeof name !== 'string') {
    return { ok: false, error: { code: 'unknown_command', message: 'missing string field "command"' } };
  }
  if (unsupported.has(name)) {
    return { ok: true, command: { command: 'unsupported', name: name as UnsupportedCommandName } };
  }
  if (!honoured.has(name)) {
    return {
      ok: false,
      error: { code: 'unknown_command', message: `unknown command "${truncate(name)}"`, command: truncate(name) },
    };
  }
  const parsed = agentWireCommandSchema.safeParse(json.value);
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'invalid_command', message: `${name}: ${describeZodIssues(parsed.error)}`, command: name },
    };
  }
  return { ok: true, command: parsed.data };
}

/** Why an adapter event could not be read (agent side). */
export type AdapterEventErrorCode = 'malformed_json' | 'unknown_event' | 'invalid_event';

export interface AdapterEventError {
  readonly code: AdapterEventErrorCode;
  readonly message: string;
  readonly event?: string;
}

export type ParseAdapterEventResult =
  | { readonly ok: true; readonly event: AdapterEvent }
  | { readonly ok: false; readonly error: AdapterEventError };

const eventNames: ReadonlySet<string> = new Set(ADAPTER_EVENT_NAMES);

/** Parses one text frame from the adapter into an event, as an agent (or the simulator) reads it. Never throws. */
export function parseAdapterEvent(text: string): ParseAdapterEventResult {
  const json = parseJsonObject(text);
  if (!json.ok) return { ok: false, error: { code: 'malformed_json', message: json.message } };
  const name = json.value['event'];
  if (typeof name !== 'string' || !eventNames.has(name)) {
    const shown = typeof name === 'string' ? truncate(name) : undefined;
    return {
      ok: false,
      error: {
        code: 'unknown_event',
        message: shown === undefined ? 'missing string field "event"' : `unknown event "${shown}"`,
        ...(shown === undefined ? {} : { event: shown }),
      },
    };
  }
  const parsed = adapterEventSchema.safeParse(json.value);
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'invalid_event', message: `${name}: ${describeZodIssues(parsed.error)}`, event: name },
    };
  }
  return { ok: true, event: parsed.data };
}

/** Names echoed back in error messages are cut to a readable length. */
function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
