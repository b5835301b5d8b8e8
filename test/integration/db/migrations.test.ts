import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { MIGRATION_TABLE, migrateDown, migrateUp, migrationStatus } from '../../../src/db/migrator.js';
import type { DB } from '../../../src/db/schema.js';
import { createTempDatabase } from './temp-database.js';

/** Tables of the connection's current database. */
async function tables(db: Kysely<DB>): Promise<string[]> {
  const r = await sql<{
    name: string;
  }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name`.execute(
    db,
  );
  return r.rows.map((x) => x.name);
}

describe('migrations', () => {
  it('apply up, report status, revert down and apply again', async () => {
    const t = await createTempDatabase({ migrate: false });
    try {
      expect((await migrationStatus(t.db)).every((m) => m.executedAt === null)).toBe(true);
      const up = await migrateUp(t.db);
      expect(up.map((s) => s.status)).toEqual(up.map(() => 'Success'));
      expect(up[0]?.name).toBe('0001_initial');
      expect(await tables(t.db)).toEqual(
        expect.arrayContaining([
          'calls',
          'call_events',
          'webhook_deliveries',
          'transcripts',
          'tool_calls',
          'recordings',
          MIGRATION_TABLE,
        ]),
      );
      // The orphan sweep reads open calls by owner through their own index.
      const indexes = await sql<{ name: string }>`SELECT DISTINCT index_name AS name FROM information_schema.statistics
        WHERE table_schema = DATABASE() AND table_name = 'calls'`.execute(t.db);
      expect(indexes.rows.map((x) => x.name)).toContain('calls_open_owner');
      const status = await migrationStatus(t.db);
      expect(status.every((m) => m.executedAt instanceof Date)).toBe(true);
      expect(await migrateUp(t.db)).toEqual([]);

      const down = await migrateDown(t.db, { steps: 'all' });
      expect(down.map((s) => s.direction)).toEqual(down.map(() => 'Down'));
      expect(await tables(t.db)).not.toContain('calls');
      await migrateUp(t.db);
      expect(await tables(t.db)).toContain('calls');
    } finally {
      await t.drop();
    }
  });
});
