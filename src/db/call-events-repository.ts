import type { Kysely } from 'kysely';
import { DbError, isDuplicateKeyError, toDbError } from './db-error.js';
import { fromJsonText, toJsonText } from './json-column.js';
import { insertedId } from './row-values.js';
import type { CallEventRow, DB } from './schema.js';

/** A lifecycle event to store. `seq` is its position in the call's stream, assigned when it was emitted. */
export interface NewCallEvent {
  eventId: string;
  callId: string;
  seq: number;
  type: string;
  payload: unknown;
  occurredAt: Date;
}

/** A stored lifecycle event. */
export interface CallEventRecord {
  rowId: number;
  eventId: string;
  callId: string;
  seq: number;
  type: string;
  payload: unknown;
  occurredAt: Date;
  recordedAt: Date;
}

/** Outcome of `insert`: the stored row, and whether this call stored it (false: it was already there). */
export interface InsertedCallEvent {
  rowId: number;
  seq: number;
  inserted: boolean;
}

function toRecord(row: CallEventRow): CallEventRecord {
  return {
    rowId: Number(row.id),
    eventId: row.event_id,
    callId: row.call_id,
    seq: row.seq,
    type: row.type,
    payload: fromJsonText(row.payload),
    occurredAt: row.occurred_at,
    recordedAt: row.recorded_at,
  };
}

/** Most times `insert` looks for a free `seq` after a collision before giving up. */
const MAX_SEQ_RETRIES = 5;

/** Reads and writes `call_events`, the ordered per-call stream of lifecycle events. */
export class CallEventsRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /**
   * Stores an event exactly once. Idempotent on `eventId`: storing the same event again returns the first row.
   * If `(callId, seq)` is already held by a different event (the sequence counter was lost and restarted), the
   * event is appended after the call's last one instead of being dropped.
   */
  async insert(event: NewCallEvent): Promise<InsertedCallEvent> {
    let seq = event.seq;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.#db
          .insertInto('call_events')
          .values({
            event_id: event.eventId,
            call_id: event.callId,
            seq,
            type: event.type,
            payload: toJsonText(event.payload),
            occurred_at: event.occurredAt,
            recorded_at: new Date(),
          })
          .executeTakeFirstOrThrow();
        return { rowId: insertedId(r.insertId, 'call_events'), seq, inserted: true };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw toDbError(err, 'insert call event');
      }
      const existing = await this.getByEventId(event.eventId);
      if (existing) return { rowId: existing.rowId, seq: existing.seq, inserted: false };
      if (attempt >= MAX_SEQ_RETRIES) {
        throw new DbError(`no free seq for call ${event.callId} after ${attempt} tries`, true, undefined);
      }
      seq = (await this.lastSeq(event.callId)) + 1;
    }
  }

  /** Highest `seq` stored for a call (0 when it has none). */
  async lastSeq(callId: string): Promise<number> {
    try {
      const row = await this.#db
        .selectFrom('call_events')
        .select((eb) => eb.fn.max('seq').as('max'))
        .where('call_id', '=', callId)
        .executeTakeFirst();
      return Number(row?.max ?? 0);
    } catch (err) {
      throw toDbError(err, 'read last event seq');
    }
  }

  async getByEventId(eventId: string): Promise<CallEventRecord | undefined> {
    try {
      const row = await this.#db
        .selectFrom('call_events')
        .selectAll()
        .where('event_id', '=', eventId)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    } catch (err) {
      throw toDbError(err, 'get call event');
    }
  }

  async getByRowId(rowId: number): Promise<CallEventRecord | undefined> {
    try {
      const row = await this.#db.selectFrom('call_events').selectAll().where('id', '=', rowId).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    } catch (err) {
      throw toDbError(err, 'get call event');
    }
  }

  /** A call's events in order, starting after `afterSeq` (0 by default), at most `limit` (default 500). */
  async listByCall(callId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<CallEventRecord[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 500), 1), 5000);
    try {
      const rows = await this.#db
        .selectFrom('call_events')
        .selectAll()
        .where('call_id', '=', callId)
        .where('seq', '>', options.afterSeq ?? 0)
        .orderBy('seq', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    } catch (err) {
      throw toDbError(err, 'list call events');
    }
  }
}
