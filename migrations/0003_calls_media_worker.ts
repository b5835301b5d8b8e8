import type { Kysely } from 'kysely';

/**
 * `calls.media_worker`: where the call's media ran, set when the media connected (`call.media_connected`): the
 * media worker's slot (`0`, `1`, …) or `primary` (the service's own process, MEDIA_WORKERS=0 or a call the
 * workers do not carry); NULL while no media connected, and for calls recorded before this column.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('calls').addColumn('media_worker', 'varchar(16)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('calls').dropColumn('media_worker').execute();
}
