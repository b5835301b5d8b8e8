import type { Kysely } from 'kysely';
import { isDuplicateKeyError, toDbError } from './db-error.js';
import { oneOf } from './row-values.js';
import { type DB, RECORDING_STATUSES, type RecordingRow, type RecordingStatus } from './schema.js';

/** One recording of a call (an ARI live recording or a bridge recording). */
export interface RecordingRecord {
  id: number;
  callId: string;
  name: string;
  format: string;
  status: RecordingStatus;
  startedAt: Date;
  endedAt: Date | null;
  durationMs: number | null;
  error: string | null;
}

export interface NewRecording {
  callId: string;
  name: string;
  format: string;
  startedAt?: Date;
}

/** How a recording ended. */
export interface RecordingEnd {
  status: Exclude<RecordingStatus, 'recording'>;
  endedAt: Date;
  durationMs?: number | null;
  error?: string | null;
}

function toRecord(row: RecordingRow): RecordingRecord {
  return {
    id: Number(row.id),
    callId: row.call_id,
    name: row.name,
    format: row.format,
    status: oneOf(RECORDING_STATUSES, row.status, 'recordings.status'),
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    error: row.error,
  };
}

/** Reads and writes `recordings`. Names are unique (Asterisk's recording names are). */
export class RecordingsRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** Records a started recording. Returns false when a recording with this name already exists. */
  async start(rec: NewRecording): Promise<boolean> {
    try {
      await this.#db
        .insertInto('recordings')
        .values({
          call_id: rec.callId,
          name: rec.name,
          format: rec.format,
          status: 'recording',
          started_at: rec.startedAt ?? new Date(),
          duration_ms: null,
          error: null,
        })
        .execute();
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw toDbError(err, 'insert recording');
    }
  }

  /** Ends a recording that is still running. Returns whether it changed. */
  async finish(name: string, end: RecordingEnd): Promise<boolean> {
    try {
      const r = await this.#db
        .updateTable('recordings')
        .set({
          status: end.status,
          ended_at: end.endedAt,
          duration_ms: end.durationMs ?? null,
          error: end.error ?? null,
        })
        .where('name', '=', name)
        .where('status', '=', 'recording')
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    } catch (err) {
      throw toDbError(err, 'finish recording');
    }
  }

  async getByName(name: string): Promise<RecordingRecord | undefined> {
    try {
      const row = await this.#db.selectFrom('recordings').selectAll().where('name', '=', name).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    } catch (err) {
      throw toDbError(err, 'get recording');
    }
  }

  async listByCall(callId: string): Promise<RecordingRecord[]> {
    try {
      const rows = await this.#db
        .selectFrom('recordings')
        .selectAll()
        .where('call_id', '=', callId)
        .orderBy('started_at', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toRecord);
    } catch (err) {
      throw toDbError(err, 'list recordings');
    }
  }
}
