import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database schema as kysely types: one interface per table, column names as in SQL (snake_case), gathered in
 * `DB` so every query flows through `Kysely<DB>`. Migrations in `migrations/` create exactly these columns.
 *
 * Portability notes (MySQL 8 and MariaDB 10.11):
 * - DATETIME(3) columns are written and read as UTC `Date`s (the pool is created with `timezone: 'Z'`).
 * - JSON columns come back as text on both servers (`jsonStrings: true`; MariaDB's JSON is LONGTEXT anyway), so
 *   they are typed `string` here and parsed by the repositories; they are written as `JSON.stringify` output.
 * - Booleans are TINYINT(1): read as 0/1, written as booleans.
 * - Enumerations are VARCHAR columns; the allowed values are the `as const` arrays below, checked by the
 *   repositories when rows are read.
 */

/** Direction of a call as seen from the adapter. */
export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

/** Life cycle of a call record. `ended` and `failed` are terminal. */
export const CALL_STATES = [
  'created',
  'dialing',
  'ringing',
  'answered',
  'active',
  'ending',
  'ended',
  'failed',
] as const;
export type CallState = (typeof CALL_STATES)[number];
export const TERMINAL_CALL_STATES: readonly CallState[] = ['ended', 'failed'];

/** Who ended a call. */
export const HANGUP_INITIATORS = ['caller', 'callee', 'agent', 'api', 'system'] as const;
export type HangupInitiator = (typeof HANGUP_INITIATORS)[number];

/** State of one webhook delivery (one event to one endpoint). */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Who spoke a transcript line. */
export const TRANSCRIPT_ROLES = ['caller', 'agent', 'system'] as const;
export type TranscriptRole = (typeof TRANSCRIPT_ROLES)[number];

/** State of one tool call. `succeeded`, `failed` and `timed_out` are terminal. */
export const TOOL_CALL_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'timed_out'] as const;
export type ToolCallStatus = (typeof TOOL_CALL_STATUSES)[number];
export const TERMINAL_TOOL_CALL_STATUSES: readonly ToolCallStatus[] = ['succeeded', 'failed', 'timed_out'];

/** Whether a finished tool call's result reached the call that asked for it. */
export const TOOL_RESULT_DELIVERIES = ['pending', 'delivered', 'call_ended'] as const;
export type ToolResultDelivery = (typeof TOOL_RESULT_DELIVERIES)[number];

/** State of one recording. */
export const RECORDING_STATUSES = ['recording', 'done', 'failed', 'cancelled'] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

/** A DATETIME(3) column: read and written as a `Date` (UTC). */
type DateTime = ColumnType<Date, Date, Date>;
type NullableDateTime = ColumnType<Date | null, Date | null | undefined, Date | null>;
/** A JSON column: read as JSON text, written as JSON text. */
type JsonText = ColumnType<string, string, string>;
type NullableJsonText = ColumnType<string | null, string | null | undefined, string | null>;
/** A TINYINT(1) column. */
type Bool = ColumnType<number, boolean | undefined, boolean>;
/** An AUTO_INCREMENT BIGINT key (mysql2 returns numbers below 2^53). */
type AutoId = Generated<number>;

export interface CallsTable {
  id: string;
  direction: CallDirection;
  state: CallState;
  from_number: string | null;
  to_number: string | null;
  route: string | null;
  agent_kind: string | null;
  caller_channel_id: string | null;
  media_channel_id: string | null;
  bridge_id: string | null;
  audiosocket_uuid: string | null;
  owner_instance: string | null;
  created_at: DateTime;
  answered_at: NullableDateTime;
  ended_at: NullableDateTime;
  hangup_cause: number | null;
  hangup_cause_txt: string | null;
  hangup_initiator: HangupInitiator | null;
  close_reason: string | null;
  latency: NullableJsonText;
  /** Where the media ran: a media worker's slot as text (`0`, `1`, …) or `primary`; NULL before media connected. */
  media_worker: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CallEventsTable {
  id: AutoId;
  /** Unique id of the event, assigned when it was emitted; also the webhook's `X-Ava-Event-Id`. */
  event_id: string;
  call_id: string;
  /** 1, 2, 3… per call, in emission order. */
  seq: number;
  type: string;
  payload: JsonText;
  occurred_at: DateTime;
  recorded_at: DateTime;
}

export interface WebhookDeliveriesTable {
  id: AutoId;
  /** `call_events.id` of the event delivered. */
  event_row_id: number;
  call_id: string;
  endpoint_url: string;
  /** sha256 hex of the endpoint URL; unique per event with `event_row_id`. */
  endpoint_key: string;
  status: WebhookDeliveryStatus;
  attempts: ColumnType<number, number | undefined, number>;
  last_status_code: number | null;
  last_error: string | null;
  created_at: DateTime;
  updated_at: DateTime;
  delivered_at: NullableDateTime;
}

export interface TranscriptsTable {
  id: AutoId;
  call_id: string;
  seq: number;
  role: TranscriptRole;
  text: string;
  /** Milliseconds since the call started. */
  started_at_ms: number | null;
  ended_at_ms: number | null;
  truncated: Bool;
  /** The agent's conversation item id (e.g. a Realtime item), used to mark barge-in truncation. */
  item_id: string | null;
  created_at: DateTime;
}

export interface ToolCallsTable {
  id: AutoId;
  call_id: string;
  tool_call_id: string;
  name: string;
  arguments: JsonText;
  status: ToolCallStatus;
  result: NullableJsonText;
  error_code: string | null;
  error: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  /** Instance that asked; results are routed to the call's current owner, falling back to this. */
  requested_by: string | null;
  /** Token of the run that holds the call (set when it goes `running`); finishing requires the same token. */
  run_token: string | null;
  result_delivery: ToolResultDelivery | null;
  created_at: DateTime;
  started_at: NullableDateTime;
  finished_at: NullableDateTime;
  delivered_at: NullableDateTime;
}

export interface RecordingsTable {
  id: AutoId;
  call_id: string;
  name: string;
  format: string;
  status: RecordingStatus;
  started_at: DateTime;
  ended_at: NullableDateTime;
  duration_ms: number | null;
  error: string | null;
}

/** Every table, keyed by SQL name. */
export interface DB {
  calls: CallsTable;
  call_events: CallEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  transcripts: TranscriptsTable;
  tool_calls: ToolCallsTable;
  recordings: RecordingsTable;
}

export type CallRow = Selectable<CallsTable>;
export type NewCallRow = Insertable<CallsTable>;
export type CallRowUpdate = Updateable<CallsTable>;
export type CallEventRow = Selectable<CallEventsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type TranscriptRow = Selectable<TranscriptsTable>;
export type ToolCallRow = Selectable<ToolCallsTable>;
export type RecordingRow = Selectable<RecordingsTable>;
