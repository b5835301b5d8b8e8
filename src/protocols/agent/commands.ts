import { z } from 'zod';
import { agentSampleRateSchema, markNameSchema, playIdSchema } from './common.js';

/**
 * Agent → adapter commands of the native protocol v1: JSON text frames with a `command` name. Names follow the
 * active-call gateway protocol. Unknown extra fields are ignored so agents written for that protocol keep working.
 */

export const acceptCommandSchema = z
  .object({
    command: z.literal('accept'),
    audio: z
      .object({
        sampleRate: agentSampleRateSchema
          .optional()
          .meta({ description: 'Audio rate the agent sends and wants to receive; defaults to the offered rate' }),
        // Checked by the adapter, not here: a bad value gets an `error` event and 20 ms, never a refused accept.
        frameMs: z
          .unknown()
          .optional()
          .meta({
            description:
              'Length of the binary caller-audio frames the agent wants: 20, 40, 60, 80 or 100 ms (default 20). Another value gets an error event (invalid_command) and 20 ms.',
            examples: [20, 60, 100],
          }),
      })
      .optional()
      .meta({ description: 'Audio settings the agent asks for; each defaults to the offer' }),
  })
  .meta({ description: 'Answer the call' });

export const rejectCommandSchema = z
  .object({
    command: z.literal('reject'),
    reason: z.string().min(1).max(256),
    code: z.number().int().min(400).max(699).optional().meta({ description: 'SIP status code for the rejection' }),
  })
  .meta({ description: 'Refuse the call' });

export const ringingCommandSchema = z
  .object({ command: z.literal('ringing') })
  .meta({ description: 'Let the caller hear ringing before accept' });

/** Asterisk sound name: letters, digits, `_ - . /`, no `..`, no extension needed. */
const soundFileSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^(?!.*\.\.)[A-Za-z0-9_\-./]+$/, 'an Asterisk sound name such as custom/greeting');

export const playCommandSchema = z
  .object({
    command: z.literal('play'),
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .meta({ description: 'http(s) URL of a WAV file' }),
    file: soundFileSchema.optional().meta({ description: 'Asterisk sound name, e.g. custom/greeting' }),
    playId: playIdSchema.optional(),
  })
  .refine((c) => (c.url === undefined) !== (c.file === undefined), {
    message: 'exactly one of url or file is required',
  })
  .meta({
    description: 'Play a sound file or URL through Asterisk',
    oneOf: [{ required: ['url'] }, { required: ['file'] }],
  });

export const interruptCommandSchema = z
  .object({
    command: z.literal('interrupt'),
    graceful: z
      .boolean()
      .optional()
      .meta({ description: 'Let the utterance now playing finish; drop only what is queued after it' }),
  })
  .meta({ description: 'Stop agent audio' });

export const hangupCommandSchema = z
  .object({ command: z.literal('hangup'), reason: z.string().max(256).optional() })
  .meta({ description: 'End the call' });

export const dialplanTargetSchema = z
  .strictObject({
    context: z.string().min(1),
    extension: z.string().min(1),
    priority: z.number().int().positive().optional(),
  })
  .meta({ description: 'Continue the caller in the dialplan' });

export const endpointTargetSchema = z
  .strictObject({
    endpoint: z.string().min(1).meta({ description: 'Asterisk endpoint to dial, e.g. PJSIP/200' }),
  })
  .meta({ description: 'Dial an endpoint and bridge the caller to it' });

export const referCommandSchema = z
  .object({
    command: z.literal('refer'),
    target: z.union([dialplanTargetSchema, endpointTargetSchema]),
    mode: z.enum(['blind', 'warm']).optional().meta({
      description:
        "`blind` (default): the caller leaves at once. `warm`: the person is dialled and hears `prompt` (or the route's `transfer.warm.prompt`) first; `transfer` events follow",
    }),
    summary: z
      .string()
      .min(1)
      .max(4000)
      .optional()
      .meta({ description: 'Warm: what the person should know about the caller (recorded with the transfer events).' }),
    prompt: z
      .array(z.string().min(1).max(512))
      .min(1)
      .max(16)
      .optional()
      .meta({ description: 'Warm: ARI media URIs played to the person before the caller is put through.' }),
    reason: z.string().min(1).max(256).optional().meta({ description: 'Warm: why the caller is transferred.' }),
  })
  .meta({ description: 'Transfer the caller (blind, or warm: to a person who is told about the caller first)' });

export const muteCommandSchema = z
  .object({ command: z.literal('mute'), trackId: z.string().min(1).max(128).optional() })
  .meta({ description: 'Stop sending caller audio to the agent' });

export const unmuteCommandSchema = z
  .object({ command: z.literal('unmute'), trackId: z.string().min(1).max(128).optional() })
  .meta({ description: 'Resume sending caller audio to the agent' });

export const markCommandSchema = z
  .object({ command: z.literal('mark'), name: markNameSchema })
  .meta({ description: 'Ask for a mark event once all audio sent before it has played' });

export const dtmfCommandSchema = z
  .object({
    command: z.literal('dtmf'),
    digits: z.string().regex(/^[0-9A-Da-d*#]{1,64}$/, '1-64 of 0-9 A-D * #'),
  })
  .meta({ description: 'Send DTMF to the caller' });

export const audioStartCommandSchema = z
  .object({
    command: z.literal('audio.start'),
    playId: playIdSchema,
    protected: z.boolean().optional().meta({ description: 'Caller speech does not interrupt this utterance' }),
  })
  .meta({ description: 'Binary frames from now on belong to this utterance' });

export const audioEndCommandSchema = z
  .object({ command: z.literal('audio.end'), playId: playIdSchema })
  .meta({ description: 'The utterance is complete' });

/** Every command the adapter honours. */
export const agentWireCommandSchema = z.discriminatedUnion('command', [
  acceptCommandSchema,
  rejectCommandSchema,
  ringingCommandSchema,
  playCommandSchema,
  interruptCommandSchema,
  hangupCommandSchema,
  referCommandSchema,
  muteCommandSchema,
  unmuteCommandSchema,
  markCommandSchema,
  dtmfCommandSchema,
  audioStartCommandSchema,
  audioEndCommandSchema,
]);

/**
 * Active-call commands the adapter recognises but cannot honour (they need an engine it does not run). They parse
 * to an `UnsupportedCommand`, which the bridge answers with `error {code: 'unsupported_command'}`.
 */
export const UNSUPPORTED_COMMAND_NAMES = ['invite', 'tts', 'pause', 'resume', 'history'] as const;
export type UnsupportedCommandName = (typeof UNSUPPORTED_COMMAND_NAMES)[number];

export const unsupportedCommandSchema = z
  .object({ command: z.enum(UNSUPPORTED_COMMAND_NAMES) })
  .meta({ description: 'Recognised but not honoured; answered with error unsupported_command' });

export type AcceptCommand = z.output<typeof acceptCommandSchema>;
export type RejectCommand = z.output<typeof rejectCommandSchema>;
export type RingingCommand = z.output<typeof ringingCommandSchema>;
export type PlayCommand = z.output<typeof playCommandSchema>;
export type InterruptCommand = z.output<typeof interruptCommandSchema>;
export type HangupCommand = z.output<typeof hangupCommandSchema>;
export type DialplanTarget = z.output<typeof dialplanTargetSchema>;
export type EndpointTarget = z.output<typeof endpointTargetSchema>;
export type ReferTarget = DialplanTarget | EndpointTarget;
export type ReferCommand = z.output<typeof referCommandSchema>;
export type MuteCommand = z.output<typeof muteCommandSchema>;
export type UnmuteCommand = z.output<typeof unmuteCommandSchema>;
export type MarkCommand = z.output<typeof markCommandSchema>;
export type DtmfCommand = z.output<typeof dtmfCommandSchema>;
export type AudioStartCommand = z.output<typeof audioStartCommandSchema>;
export type AudioEndCommand = z.output<typeof audioEndCommandSchema>;

/** A command as it appears on the wire (what an agent sends). */
export type AgentWireCommand = z.output<typeof agentWireCommandSchema>;
export type AgentWireCommandName = AgentWireCommand['command'];

/** A recognised command the adapter does not honour. */
export interface UnsupportedCommand {
  readonly command: 'unsupported';
  readonly name: UnsupportedCommandName;
}

/** What `parseAgentMessage` yields for a valid text frame: a command to act on, or one to refuse. */
export type AgentCommand = AgentWireCommand | UnsupportedCommand;

/** Every honoured command name, in protocol-document order. */
export const AGENT_COMMAND_NAMES = [
  'accept',
  'reject',
  'ringing',
  'play',
  'interrupt',
  'hangup',
  'refer',
  'mute',
  'unmute',
  'mark',
  'dtmf',
  'audio.start',
  'audio.end',
] as const satisfies readonly AgentWireCommandName[];

export function isDialplanTarget(target: ReferTarget): target is DialplanTarget {
  return 'context' in target;
}

/** The JSON text frame for a command (used by agents and the simulator). */
export function encodeAgentCommand(command: AgentWireCommand): string {
  return JSON.stringify(command);
}
