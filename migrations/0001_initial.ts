import { type Kysely, sql } from 'kysely';

/**
 * Initial schema: calls, call_events, webhook_deliveries, transcripts, tool_calls, recordings.
 * Written for both MySQL 8 and MariaDB 10.11: DATETIME(3), utf8mb4 with a collation both servers have, JSON
 * columns (MariaDB stores them as checked LONGTEXT), no foreign keys (events and tool calls may be written before
 * their call row, in any order, by any instance), and VARCHAR enumerations checked by the application.
 */

const TABLE_OPTIONS = sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_unicode_ci`;
const datetime3 = sql`datetime(3)`;
const json = sql`json`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('calls')
    .addColumn('id', 'char(36)', (c) => c.primaryKey())
    .addColumn('direction', 'varchar(16)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('from_number', 'varchar(128)')
    .addColumn('to_number', 'varchar(128)')
    .addColumn('route', 'varchar(64)')
    .addColumn('agent_kind', 'varchar(32)')
    .addColumn('caller_channel_id', 'varchar(128)')
    .addColumn('media_channel_id', 'varchar(128)')
    .addColumn('bridge_id', 'varchar(128)')
    .addColumn('audiosocket_uuid', 'char(36)')
    .addColumn('owner_instance', 'varchar(128)')
    .addColumn('created_at', datetime3, (c) => c.notNull())
    .addColumn('answered_at', datetime3)
    .addColumn('ended_at', datetime3)
    .addColumn('hangup_cause', 'integer')
    .addColumn('hangup_cause_txt', 'varchar(128)')
    .addColumn('hangup_initiator', 'varchar(16)')
    .addColumn('close_reason', 'varchar(64)')
    .addColumn('latency', json)
    .modifyEnd(TABLE_OPTIONS)
    .execute();
  // Listing: newest first, filtered by one of state / direction / route, paginated on (created_at, id).
  await db.schema.createIndex('calls_created').on('calls').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('calls_state_created').on('calls').columns(['state', 'created_at', 'id']).execute();
  await db.schema
    .createIndex('calls_direction_created')
    .on('calls')
    .columns(['direction', 'created_at', 'id'])
    .execute();
  await db.schema.createIndex('calls_route_created').on('calls').columns(['route', 'created_at', 'id']).execute();
  await db.schema.createIndex('calls_audiosocket_uuid').on('calls').column('audiosocket_uuid').execute();
  await db.schema.createIndex('calls_caller_channel').on('calls').column('caller_channel_id').execute();

  await db.schema
    .createTable('call_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement().modifyFront(sql`unsigned`))
    .addColumn('event_id', 'char(36)', (c) => c.notNull())
    .addColumn('call_id', 'char(36)', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull().modifyFront(sql`unsigned`))
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('payload', json, (c) => c.notNull())
    .addColumn('occurred_at', datetime3, (c) => c.notNull())
    .addColumn('recorded_at', datetime3, (c) => c.notNull())
    .addUniqueConstraint('call_events_call_seq', ['call_id', 'seq'])
    .addUniqueConstraint('call_events_event_id', ['event_id'])
    .modifyEnd(TABLE_OPTIONS)
    .execute();
  await db.schema.createIndex('call_events_type_occurred').on('call_events').columns(['type', 'occurred_at']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement().modifyFront(sql`unsigned`))
    .addColumn('event_row_id', 'bigint', (c) => c.notNull().modifyFront(sql`unsigned`))
    .addColumn('call_id', 'char(36)', (c) => c.notNull())
    .addColumn('endpoint_url', 'varchar(2048)', (c) => c.notNull())
    .addColumn('endpoint_key', 'char(64)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'varchar(1024)')
    .addColumn('created_at', datetime3, (c) => c.notNull())
    .addColumn('updated_at', datetime3, (c) => c.notNull())
    .addColumn('delivered_at', datetime3)
    .addUniqueConstraint('webhook_deliveries_event_endpoint', ['event_row_id', 'endpoint_key'])
    .modifyEnd(TABLE_OPTIONS)
    .execute();
  await db.schema.createIndex('webhook_deliveries_call').on('webhook_deliveries').columns(['call_id', 'id']).execute();
  await db.schema
    .createIndex('webhook_deliveries_status')
    .on('webhook_deliveries')
    .columns(['status', 'updated_at'])
    .execute();

  await db.schema
    .createTable('transcripts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement().modifyFront(sql`unsigned`))
    .addColumn('call_id', 'char(36)', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull().modifyFront(sql`unsigned`))
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('text', sql`mediumtext`, (c) => c.notNull())
    .addColumn('started_at_ms', 'integer')
    .addColumn('ended_at_ms', 'integer')
    .addColumn('truncated', sql`tinyint(1)`, (c) => c.notNull().defaultTo(0))
    .addColumn('item_id', 'varchar(128)')
    .addColumn('created_at', datetime3, (c) => c.notNull())
    .addUniqueConstraint('transcripts_call_seq', ['call_id', 'seq'])
    .modifyEnd(TABLE_OPTIONS)
    .execute();
  await db.schema.createIndex('transcripts_call_item').on('transcripts').columns(['call_id', 'item_id']).execute();

  await db.schema
    .createTable('tool_calls')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement().modifyFront(sql`unsigned`))
    .addColumn('call_id', 'char(36)', (c) => c.notNull())
    .addColumn('tool_call_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('arguments', json, (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('result', json)
    .addColumn('error_code', 'varchar(64)')
    .addColumn('error', 'varchar(2048)')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('requested_by', 'varchar(128)')
    .addColumn('run_token', 'char(36)')
    .addColumn('result_delivery', 'varchar(16)')
    .addColumn('created_at', datetime3, (c) => c.notNull())
    .addColumn('started_at', datetime3)
    .addColumn('finished_at', datetime3)
    .addColumn('delivered_at', datetime3)
    .addUniqueConstraint('tool_calls_call_tool_call', ['call_id', 'tool_call_id'])
    .modifyEnd(TABLE_OPTIONS)
    .execute();
  await db.schema.createIndex('tool_calls_status').on('tool_calls').columns(['status', 'created_at']).execute();

  await db.schema
    .createTable('recordings')
    .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement().modifyFront(sql`unsigned`))
    .addColumn('call_id', 'char(36)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('format', 'varchar(16)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('started_at', datetime3, (c) => c.notNull())
    .addColumn('ended_at', datetime3)
    .addColumn('duration_ms', 'integer')
    .addColumn('error', 'varchar(1024)')
    .addUniqueConstraint('recordings_name', ['name'])
    .modifyEnd(TABLE_OPTIONS)
    .execute();
  await db.schema.createIndex('recordings_call').on('recordings').columns(['call_id', 'started_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['recordings', 'tool_calls', 'transcripts', 'webhook_deliveries', 'call_events', 'calls']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
