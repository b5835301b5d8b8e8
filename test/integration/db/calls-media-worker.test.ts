import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../../src/db/calls-repository.js';
import { migrateDown, migrateUp } from '../../../src/db/migrator.js';
import { applyCallEvent } from '../../../src/jobs/call-event-projection.js';
import { createTempDatabase, type TempDatabase } from './temp-database.js';

let t: TempDatabase;

beforeAll(async () => {
  t = await createTempDatabase();
});

afterAll(async () => {
  await t?.drop();
});

async function newCall(): Promise<string> {
  const id = randomUUID();
  await applyCallEvent(t.db, id, { type: 'call.created', payload: { direction: 'inbound' } }, new Date());
  return id;
}

describe('calls.media_worker: where the media of a call ran', () => {
  it('is set from call.media_connected: the worker slot, or primary when no worker is named', async () => {
    const calls = new CallsRepository(t.db);
    const onWorker = await newCall();
    const inPrimary = await newCall();
    const noMedia = await newCall();
    const at = new Date();
    await applyCallEvent(
      t.db,
      onWorker,
      { type: 'call.media_connected', payload: { mediaChannelId: 'm1', mediaWorker: 1 } },
      at,
    );
    await applyCallEvent(t.db, inPrimary, { type: 'call.media_connected', payload: { mediaChannelId: 'm2' } }, at);
    expect(await calls.get(onWorker)).toMatchObject({ mediaWorker: 1, mediaChannelId: 'm1' });
    expect(await calls.get(inPrimary)).toMatchObject({ mediaWorker: 'primary', mediaChannelId: 'm2' });
    expect((await calls.get(noMedia))?.mediaWorker).toBeNull();
    // Slot 0 is a worker, not "no worker".
    await applyCallEvent(t.db, noMedia, { type: 'call.media_connected', payload: { mediaWorker: 0 } }, at);
    expect((await calls.get(noMedia))?.mediaWorker).toBe(0);
    // The record keeps it after the call ended, and the list carries it.
    await applyCallEvent(
      t.db,
      onWorker,
      { type: 'call.ended', payload: { closeReason: 'worker_failed', state: 'ended' } },
      new Date(),
    );
    const listed = (await calls.list({ limit: 500 })).items;
    const byId = new Map(listed.map((c) => [c.id, c.mediaWorker]));
    expect([byId.get(onWorker), byId.get(inPrimary), byId.get(noMedia)]).toEqual([1, 'primary', 0]);
    expect(await calls.get(onWorker)).toMatchObject({ mediaWorker: 1, closeReason: 'worker_failed' });
  });

  it('refuses a corrupt value instead of showing it as some worker', async () => {
    const id = await newCall();
    await sql`UPDATE calls SET media_worker = 'w-1' WHERE id = ${id}`.execute(t.db);
    await expect(new CallsRepository(t.db).get(id)).rejects.toThrow(/media_worker holds "w-1"/);
  });

  it('its migration reverts and applies again (MySQL 8 and MariaDB 10.11)', async () => {
    const tmp = await createTempDatabase();
    try {
      const columns = async () =>
        (
          await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns
            WHERE table_schema = DATABASE() AND table_name = 'calls'`.execute(tmp.db)
        ).rows.map((r) => r.name);
      expect(await columns()).toContain('media_worker');
      const down = await migrateDown(tmp.db);
      expect(down.map((s) => s.name)).toEqual(['0003_calls_media_worker']);
      expect(await columns()).not.toContain('media_worker');
      await migrateUp(tmp.db);
      expect(await columns()).toContain('media_worker');
    } finally {
      await tmp.drop();
    }
  });
});
