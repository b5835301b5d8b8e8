import { z } from 'zod';
import { agentSampleRateSchema, markNameSchema, playIdSchema } from './common.js';

/**
 * Agent → adapter commands of the native protocol v1: JSON text frames with a `command` name. Names follow the
 * active-call gateway protocol. Unknown extra fields are ignored so agents written for that protocol keep working.
 */

/** Audio settings an agent asks for in `accept`. */
export const agentAudioRequestSchema = z
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
  .meta({ description: 'Audio settings the agent asks for; each defaults to the offer' });

export const acceptCommandSchema = z
  .object({ command: z.literal('accept'), audio: agentAudioRequestSchema.optional() })
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

/**
 * Asterisk endpoint an `invite` dials, as the REST originate names it: `tech/resource`, e.g. `PJSIP/alice` or a
 * number through a trunk, `PJSIP/+4930123@trunk`. Characters that would make Asterisk dial more than one channel or
 * read dial options (`&`, `,`, `(`, `)`, spaces, quotes, `$`) are refused.
 */
export const inviteCalleeSchema = z
  .string()
  .max(256)
  .regex(
    /^[A-Za-z][A-Za-z0-9_-]{0,31}\/[A-Za-z0-9+*#._@:;=/-]{1,200}$/,
    'an Asterisk endpoint such as PJSIP/alice or PJSIP/+4930123@trunk (tech/resource; no & , ( ) spaces quotes $)',
  )
  .meta({ description: 'Endpoint to dial, e.g. `PJSIP/alice` or `PJSIP/+4930123@trunk`', examples: ['PJSIP/alice'] });

/** Caller-audio frame lengths an agent may ask for (ms). */
export const AGENT_UPLINK_FRAME_MS = [20, 40, 60, 80, 100] as const;

export const inviteCommandSchema = z
  .object({
    command: z.literal('invite'),
    callee: inviteCalleeSchema,
    callerId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters')
      .optional()
      .meta({ description: 'Caller id the callee sees, e.g. `"Support" <1000>`' }),
    timeout: z
      .number()
      .int()
      .min(1)
      .max(600)
      .optional()
      .meta({ description: 'Seconds to ring before giving up (reject with reason no_answer). Default 30' }),
    route: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, 'a route name: letters, digits, _ . -')
      .optional()
      .meta({
        description: 'Configured route whose media and audio settings the call uses; the default route if absent',
      }),
    customParameters: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a parameter name: 1-64 letters, digits, _ . -'),
        z.string().max(1024),
      )
      .refine((r) => Object.keys(r).length <= 32, 'at most 32 parameters')
      .optional()
      .meta({ description: "Values recorded with the call, over the route's own customParameters" }),
    audio: z
      .object({
        sampleRate: agentSampleRateSchema
          .optional()
          .meta({ description: 'Audio rate the agent sends and wants to receive. Default 16000' }),
        frameMs: z
          .literal(AGENT_UPLINK_FRAME_MS)
          .optional()
          .meta({ description: 'Length of the binary callee-audio frames the agent wants. Default 20' }),
      })
      .strict()
      .optional()
      .meta({ description: 'Audio settings, as `accept` has them' }),
  })
  .meta({
    description:
      "Place a call from this socket (agents that connected in at /v1/agents/ws): answered with ringing, then answer (or reject, with the Q.850 cause); the socket is then the call's agent",
  });

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
  inviteCommandSchema,
]);

/**
 * Active-call commands the adapter recognises but cannot honour (they need an engine it does not run). They parse
 * to an `UnsupportedCommand`, which the bridge answers with `error {code: 'unsupported_command'}`.
 */
export const UNSUPPORTED_COMMAND_NAMES = ['tts', 'pause', 'resume', 'history'] as const;
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
export type InviteCommand = z.output<typeof inviteCommandSchema>;

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
  'invite',
] as const satisfies readonly AgentWireCommandName[];

export function isDialplanTarget(target: ReferTarget): target is DialplanTarget {
  return 'context' in target;
}

/** The JSON text frame for a command (used by agents and the simulator). */
export function encodeAgentCommand(command: AgentWireCommand): string {
  return JSON.stringify(command);
}
