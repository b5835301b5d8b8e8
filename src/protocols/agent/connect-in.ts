import { z } from 'zod';
import { callIdSchema, describeZodIssues, parseJsonObject } from './common.js';
import type { AgentErrorCode } from './events.js';

/**
 * What an agent connecting in at `/v1/agents/ws` (docs/agent-protocol.md, "Agents that dial in") may send first,
 * before it has a call: `claim` a waiting call (by id, or the next of a route), or `invite` (place a call; handled
 * by the invite handler when the adapter has one). Everything after is the native protocol of that call.
 */
export const DIALECTS = ['native', 'pipecat'] as const;
export type Dialect = (typeof DIALECTS)[number];

/** Route names as the routes file allows them. */
export const routeNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');

export const claimCommandSchema = z
  .object({
    command: z.literal('claim'),
    callId: callIdSchema.optional(),
    route: routeNameSchema.optional(),
  })
  .strict()
  .meta({ description: 'Take a waiting call of a dial-in route: the given call, or the next call of the route' });

export type ClaimCommand = z.output<typeof claimCommandSchema>;

/** The `callId` of `error` events sent before the connection has a call. */
export const NO_CALL_ID = 'none';

/** A first message, parsed: a claim, an invite (its body left to the invite handler), or why it is refused. */
export type ConnectInRequest =
  | { readonly kind: 'claim'; readonly callId?: string; readonly route?: string }
  | { readonly kind: 'invite'; readonly message: Record<string, unknown> }
  | { readonly kind: 'refused'; readonly code: AgentErrorCode; readonly message: string; readonly command?: string };

/** Parses the first text message of a native connection that named no call or route in its URL. */
export function parseConnectInMessage(text: string): ConnectInRequest {
  const json = parseJsonObject(text);
  if (!json.ok) return { kind: 'refused', code: 'malformed_json', message: `first message: ${json.message}` };
  const command = json.value['command'];
  if (command === 'invite') return { kind: 'invite', message: json.value };
  if (command !== 'claim') {
    const named = typeof command === 'string' ? `"${command.slice(0, 64)}"` : 'no command';
    return {
      kind: 'refused',
      code: 'unknown_command',
      message: `${named} before a call: the first message must be "claim" or "invite"`,
      ...(typeof command === 'string' ? { command: command.slice(0, 64) } : {}),
    };
  }
  const parsed = claimCommandSchema.safeParse(json.value);
  if (!parsed.success)
    return { kind: 'refused', code: 'invalid_command', message: describeZodIssues(parsed.error), command: 'claim' };
  return {
    kind: 'claim',
    ...(parsed.data.callId !== undefined ? { callId: parsed.data.callId } : {}),
    ...(parsed.data.route !== undefined ? { route: parsed.data.route } : {}),
  };
}
