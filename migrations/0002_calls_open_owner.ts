import type { Kysely } from 'kysely';

/**
 * Index for the orphan sweep (`OrphanSweeper`): open calls (`ended_at IS NULL`) by owner instance. The sweep asks
 * for the distinct owners of open calls, then walks one dead owner's open calls by id; both are range reads of this
 * index (InnoDB secondary indexes carry the primary key, so `id` order comes with it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('calls_open_owner').on('calls').columns(['ended_at', 'owner_instance']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('calls_open_owner').on('calls').execute();
}
