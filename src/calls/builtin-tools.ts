import { z } from 'zod';

/**
 * The built-in call tools, each defined once: its name, what the model is told (description and JSON-schema
 * parameters, generated from the argument schema) and how its arguments are parsed. The Realtime agent runs
 * `hangup`, `transfer` and `send_dtmf` in process (route `builtinTools`); the tool-call jobs run all four as
 * call-control commands on the instance that owns the call. Unknown argument keys are ignored.
 */
export const builtinToolArgumentSchemas = {
  hangup: z.object({ reason: z.string().max(64).optional().describe('Why the call ends, for the call log.') }),
  transfer: z.object({
    target: z
      .string()
      .min(1)
      .max(256)
      .describe('Where to send the caller: an endpoint (PJSIP/200) or a dialplan extension, or a destination name.'),
    context: z.string().min(1).max(80).optional().describe('Dialplan context of the extension.'),
  }),
  send_dtmf: z.object({
    digits: z
      .string()
      .regex(/^[0-9A-Da-d*#]{1,64}$/)
      .describe('1 to 64 digits: 0-9, A-D, * and #.'),
  }),
  play: z.object({
    media: z
      .union([z.string().min(1).max(512), z.array(z.string().min(1).max(512)).min(1).max(16)])
      .describe('ARI media URI(s): sound:hello-world, recording:name, tone:ring, digits:123.'),
  }),
} as const;

export type BuiltinToolName = keyof typeof builtinToolArgumentSchemas;
export type BuiltinToolArguments<N extends BuiltinToolName> = z.output<(typeof builtinToolArgumentSchemas)[N]>;
export const BUILTIN_TOOL_NAMES = Object.keys(builtinToolArgumentSchemas) as BuiltinToolName[];

export function isBuiltinToolName(name: string): name is BuiltinToolName {
  return Object.hasOwn(builtinToolArgumentSchemas, name);
}

const DESCRIPTIONS: Readonly<Record<BuiltinToolName, string>> = {
  hangup: 'End the phone call. Say goodbye first, in the same turn; the call ends once the caller has heard it.',
  transfer: 'Transfer the caller to a person or department. Tell the caller first.',
  send_dtmf: 'Send DTMF tones (touch-tone digits) on the call, e.g. to navigate a phone menu.',
  play: 'Play recorded media to the caller.',
};

export type ParsedBuiltinArguments<N extends BuiltinToolName> =
  | { readonly ok: true; readonly args: BuiltinToolArguments<N> }
  | { readonly ok: false; readonly message: string };

/** Parses a built-in tool's arguments (an object, or undefined for none). */
export function parseBuiltinToolArguments<N extends BuiltinToolName>(
  name: N,
  args: unknown,
): ParsedBuiltinArguments<N> {
  const parsed = builtinToolArgumentSchemas[name].safeParse(args ?? {});
  if (parsed.success) return { ok: true, args: parsed.data as BuiltinToolArguments<N> };
  const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
  return { ok: false, message };
}

/** A function the model may call, as the Realtime session (and any function-calling agent) is told about it. */
export interface BuiltinFunctionDefinition {
  readonly type: 'function';
  readonly name: BuiltinToolName;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
}

function parametersOf(name: BuiltinToolName): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(builtinToolArgumentSchemas[name], { io: 'input' });
  return { ...schema, additionalProperties: false };
}

/** The function definition of a built-in tool with its generic arguments. */
export function builtinFunctionDefinition(name: BuiltinToolName): BuiltinFunctionDefinition {
  return { type: 'function', name, description: DESCRIPTIONS[name], parameters: parametersOf(name) };
}

/**
 * `transfer` limited to named destinations (a Realtime route's `builtinTools.transfer`): the model picks one name
 * as `target`; the destination fixes the context, so no `context` is offered.
 */
export function transferToDestinationsDefinition(
  destinations: Readonly<Record<string, { readonly description?: string | undefined }>>,
): BuiltinFunctionDefinition {
  const names = Object.keys(destinations);
  const described = names.map((n) => (destinations[n]?.description ? `${n} (${destinations[n]?.description})` : n));
  return {
    type: 'function',
    name: 'transfer',
    description: `${DESCRIPTIONS.transfer} Destinations: ${described.join(', ')}.`,
    parameters: {
      type: 'object',
      properties: { target: { type: 'string', enum: names, description: 'The destination name.' } },
      required: ['target'],
      additionalProperties: false,
    },
  };
}
