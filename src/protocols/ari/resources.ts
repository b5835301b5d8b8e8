/**
 * ARI resource models (Asterisk REST Interface, Asterisk 22) as zod schemas and the types inferred from them.
 * Field names follow the JSON Asterisk sends (snake_case). Schemas strip unknown fields, so a field added by a
 * newer Asterisk never fails parsing; fields an older Asterisk may omit are optional.
 */
import { z } from 'zod';

/** Every value Asterisk's `ast_state2str` can produce for `Channel.state`. */
export const CHANNEL_STATES = [
  'Down',
  'Rsrvd',
  'OffHook',
  'Dialing',
  'Ring',
  'Ringing',
  'Up',
  'Busy',
  'Dialing Offhook',
  'Pre-ring',
  'Unknown',
] as const;
export const ChannelStateSchema = z.enum(CHANNEL_STATES);
export type ChannelState = z.infer<typeof ChannelStateSchema>;

/** Caller or connected-line identity. */
export const CallerIdSchema = z.object({
  name: z.string(),
  number: z.string(),
});
export type CallerId = z.infer<typeof CallerIdSchema>;

/** Where a channel is in the dialplan (context, extension, priority) and the application it runs there. */
export const DialplanCepSchema = z.object({
  context: z.string(),
  exten: z.string(),
  priority: z.number().int(),
  app_name: z.string().optional(),
  app_data: z.string().optional(),
});
export type DialplanCep = z.infer<typeof DialplanCepSchema>;

/** A channel snapshot. `channelvars` appears only where Asterisk adds it (e.g. the externalMedia response). */
export const ChannelSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: ChannelStateSchema,
  protocol_id: z.string().optional(),
  caller: CallerIdSchema,
  connected: CallerIdSchema,
  accountcode: z.string().optional(),
  dialplan: DialplanCepSchema,
  creationtime: z.string(),
  language: z.string().optional(),
  channelvars: z.record(z.string(), z.string()).optional(),
  caller_rdnis: z.string().optional(),
  tenantid: z.string().optional(),
});
export type Channel = z.infer<typeof ChannelSchema>;

/** A bridge snapshot; `channels` lists channel ids in join order. */
export const BridgeSchema = z.object({
  id: z.string(),
  technology: z.string(),
  bridge_type: z.string(),
  bridge_class: z.string(),
  creator: z.string(),
  name: z.string(),
  channels: z.array(z.string()),
  creationtime: z.string().optional(),
  video_mode: z.string().optional(),
  video_source_id: z.string().optional(),
});
export type Bridge = z.infer<typeof BridgeSchema>;

/** States a playback reports; Asterisk reports a stopped or cancelled playback as `done`. */
export const PLAYBACK_STATES = ['queued', 'playing', 'paused', 'continuing', 'done', 'failed'] as const;

/** A media playback on a channel or bridge. */
export const PlaybackSchema = z.object({
  id: z.string(),
  media_uri: z.string(),
  next_media_uri: z.string().optional(),
  target_uri: z.string(),
  language: z.string().optional(),
  state: z.enum(PLAYBACK_STATES),
});
export type Playback = z.infer<typeof PlaybackSchema>;

export const LIVE_RECORDING_STATES = ['queued', 'recording', 'paused', 'done', 'failed', 'canceled'] as const;

/** A recording in progress (or just finished) on a channel or bridge. */
export const LiveRecordingSchema = z.object({
  name: z.string(),
  format: z.string(),
  target_uri: z.string(),
  state: z.enum(LIVE_RECORDING_STATES),
  duration: z.number().int().optional(),
  talking_duration: z.number().int().optional(),
  silence_duration: z.number().int().optional(),
  cause: z.string().optional(),
});
export type LiveRecording = z.infer<typeof LiveRecordingSchema>;

/** A finished recording kept on the Asterisk host. */
export const StoredRecordingSchema = z.object({
  name: z.string(),
  format: z.string(),
});
export type StoredRecording = z.infer<typeof StoredRecordingSchema>;

/** `GET /asterisk/info`: every section is optional (the `only` parameter selects them). */
export const AsteriskInfoSchema = z.object({
  build: z
    .object({
      os: z.string(),
      kernel: z.string(),
      options: z.string().optional(),
      machine: z.string(),
      date: z.string(),
      user: z.string(),
    })
    .optional(),
  system: z.object({ version: z.string(), entity_id: z.string() }).optional(),
  config: z
    .object({
      name: z.string(),
      default_language: z.string(),
      max_channels: z.number().int().optional(),
      max_open_files: z.number().int().optional(),
      max_load: z.number().optional(),
      setid: z.object({ user: z.string(), group: z.string() }).optional(),
    })
    .optional(),
  status: z.object({ startup_time: z.string(), last_reload_time: z.string() }).optional(),
});
export type AsteriskInfo = z.infer<typeof AsteriskInfoSchema>;

/** A loadable Asterisk module (`GET /asterisk/modules`). */
export const ModuleSchema = z.object({
  name: z.string(),
  description: z.string(),
  use_count: z.number().int(),
  status: z.string(),
  support_level: z.string(),
});
export type Module = z.infer<typeof ModuleSchema>;

/** The value of a channel or global variable. */
export const VariableSchema = z.object({ value: z.string() });
export type Variable = z.infer<typeof VariableSchema>;

/** A Stasis application and what it is subscribed to. */
export const ApplicationSchema = z.object({
  name: z.string(),
  channel_ids: z.array(z.string()),
  bridge_ids: z.array(z.string()),
  endpoint_ids: z.array(z.string()),
  device_names: z.array(z.string()),
  events_allowed: z.array(z.unknown()).optional(),
  events_disallowed: z.array(z.unknown()).optional(),
});
export type Application = z.infer<typeof ApplicationSchema>;

/** A configured endpoint (e.g. a PJSIP endpoint). */
export const EndpointSchema = z.object({
  technology: z.string(),
  resource: z.string(),
  state: z.string().optional(),
  channel_ids: z.array(z.string()),
});
export type Endpoint = z.infer<typeof EndpointSchema>;
