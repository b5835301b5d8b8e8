import { type Kysely, sql } from 'kysely';
import { DbError, isDuplicateKeyError, isLockConflictError, toDbError } from './db-error.js';
import { oneOf } from './row-values.js';
import { type DB, TRANSCRIPT_ROLES, type TranscriptRole, type TranscriptRow } from './schema.js';

/** One line of a call's transcript. */
export interface TranscriptEntry {
  callId: string;
  seq: number;
  role: TranscriptRole;
  text: string;
  startedAtMs: number | null;
  endedAtMs: number | null;
  truncated: boolean;
  itemId: string | null;
  createdAt: Date;
}

export interface NewTranscriptEntry {
  callId: string;
  role: TranscriptRole;
  text: string;
  startedAtMs?: number | null;
  endedAtMs?: number | null;
  truncated?: boolean;
  itemId?: string | null;
}

function toEntry(row: TranscriptRow): TranscriptEntry {
  return {
    callId: row.call_id,
    seq: row.seq,
    role: oneOf(TRANSCRIPT_ROLES, row.role, 'transcripts.role'),
    text: row.text,
    startedAtMs: row.started_at_ms,
    endedAtMs: row.ended_at_ms,
    truncated: row.truncated !== 0,
    itemId: row.item_id,
    createdAt: row.created_at,
  };
}

/** Most tries of one append when concurrent appends to the same call collide (deadlock or duplicate seq). */
const MAX_APPEND_TRIES = 12;

/** Reads and writes `transcripts`, each call's lines in order. */
export class TranscriptsRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /**
   * Appends a line after the call's last one and returns its `seq`, computed under a lock on the call's lines.
   * Concurrent appends to one call may deadlock or collide on the unique (call_id, seq) key; the loser tries
   * again after a short random pause.
   */
  async append(entry: NewTranscriptEntry): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(async (trx) => {
          const row = await trx
            .selectFrom('transcripts')
            .select((eb) => eb.fn.max('seq').as('max'))
            .where('call_id', '=', entry.callId)
            .forUpdate()
            .executeTakeFirst();
          const seq = Number(row?.max ?? 0) + 1;
          await trx
            .insertInto('transcripts')
            .values({
              call_id: entry.callId,
              seq,
              role: entry.role,
              text: entry.text,
              started_at_ms: entry.startedAtMs ?? null,
              ended_at_ms: entry.endedAtMs ?? null,
              truncated: entry.truncated ?? false,
              item_id: entry.itemId ?? null,
              created_at: new Date(),
            })
            .execute();
          return seq;
        });
      } catch (err) {
        const again = isDuplicateKeyError(err) || isLockConflictError(err);
        if (!again) throw toDbError(err, 'append transcript');
        if (attempt >= MAX_APPEND_TRIES) {
          throw new DbError(`append transcript: still colliding after ${attempt} tries`, true, err);
        }
        // Spread the colliding writers out so they do not meet again on the next try.
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }

  /**
   * Marks an agent item as cut short by barge-in: keeps only what was heard (`text`, when given) and the time it
   * stopped. Returns how many lines changed.
   */
  async markTruncated(callId: string, itemId: string, change: { endedAtMs?: number; text?: string }): Promise<number> {
    try {
      const r = await this.#db
        .updateTable('transcripts')
        .set({
          truncated: true,
          ...(change.endedAtMs !== undefined ? { ended_at_ms: change.endedAtMs } : {}),
          ...(change.text !== undefined ? { text: change.text } : {}),
        })
        .where('call_id', '=', callId)
        .where('item_id', '=', itemId)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    } catch (err) {
      throw toDbError(err, 'mark transcript truncated');
    }
  }

  /** A call's transcript in order. */
  async listByCall(callId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<TranscriptEntry[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 1000), 1), 10_000);
    try {
      const rows = await this.#db
        .selectFrom('transcripts')
        .selectAll()
        .where('call_id', '=', callId)
        .where('seq', '>', options.afterSeq ?? 0)
        .orderBy('seq', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toEntry);
    } catch (err) {
      throw toDbError(err, 'list transcript');
    }
  }

  /** Number of lines stored for a call. */
  async count(callId: string): Promise<number> {
    try {
      const row = await this.#db
        .selectFrom('transcripts')
        .select(sql<number>`count(*)`.as('n'))
        .where('call_id', '=', callId)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    } catch (err) {
      throw toDbError(err, 'count transcript');
    }
  }
}
