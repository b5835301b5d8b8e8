import type { Kysely } from 'kysely';
import { type ListCursor, decodeCursor, encodeCursor } from './cursor.js';
import { isDuplicateKeyError, toDbError } from './db-error.js';
import { fromJsonText, toJsonText } from './json-column.js';
import { oneOf, oneOfOrNull } from './row-values.js';
import {
  CALL_DIRECTIONS,
  CALL_STATES,
  type CallDirection,
  type CallRow,
  type CallRowUpdate,
  type CallState,
  type DB,
  HANGUP_INITIATORS,
  type HangupInitiator,
  TERMINAL_CALL_STATES,
} from './schema.js';

/** A call as stored, with parsed columns. */
export interface CallRecord {
  id: string;
  direction: CallDirection;
  state: CallState;
  fromNumber: string | null;
  toNumber: string | null;
  route: string | null;
  agentKind: string | null;
  callerChannelId: string | null;
  mediaChannelId: string | null;
  bridgeId: string | null;
  audiosocketUuid: string | null;
  ownerInstance: string | null;
  createdAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  hangupCause: number | null;
  hangupCauseTxt: string | null;
  hangupInitiator: HangupInitiator | null;
  closeReason: string | null;
  /** Measured latencies of the call (name → milliseconds or any JSON the calls layer records). */
  latency: unknown;
  /**
   * Where the call's media ran: the media worker's slot, `primary` (the service's own process), or null while no
   * media connected (and for calls recorded before this was kept).
   */
  mediaWorker: MediaWorkerRef | null;
}

/** A media worker's slot, or the primary process. */
export type MediaWorkerRef = number | 'primary';

/** `calls.media_worker` as text: the slot in decimal, or `primary`. */
export function mediaWorkerColumn(ref: MediaWorkerRef | null): string | null {
  return ref === null ? null : String(ref);
}

/** Reads `calls.media_worker`; anything else than a slot or `primary` is refused as a corrupt row. */
export function parseMediaWorkerColumn(value: string | null): MediaWorkerRef | null {
  if (value === null) return null;
  if (value === 'primary') return 'primary';
  if (/^\d{1,3}$/.test(value)) return Number(value);
  throw new Error(`calls.media_worker holds ${JSON.stringify(value)}, not a worker slot or "primary"`);
}

/** What creating a call needs; everything but id and direction is optional. */
export interface NewCall {
  id: string;
  direction: CallDirection;
  state?: CallState;
  fromNumber?: string | null;
  toNumber?: string | null;
  route?: string | null;
  agentKind?: string | null;
  callerChannelId?: string | null;
  mediaChannelId?: string | null;
  bridgeId?: string | null;
  audiosocketUuid?: string | null;
  ownerInstance?: string | null;
  createdAt?: Date;
}

/** Columns a live call may change. */
export interface CallPatch {
  state?: CallState;
  route?: string | null;
  agentKind?: string | null;
  callerChannelId?: string | null;
  mediaChannelId?: string | null;
  bridgeId?: string | null;
  audiosocketUuid?: string | null;
  ownerInstance?: string | null;
  answeredAt?: Date | null;
  mediaWorker?: MediaWorkerRef | null;
}

/** How a call ended. */
export interface CallEnd {
  endedAt: Date;
  state?: Extract<CallState, 'ended' | 'failed'>;
  hangupCause?: number | null;
  hangupCauseTxt?: string | null;
  hangupInitiator?: HangupInitiator | null;
  closeReason?: string | null;
  latency?: unknown;
}

export interface CallListQuery {
  state?: CallState;
  direction?: CallDirection;
  route?: string;
  /** Calls created at or after this time. */
  createdFrom?: Date;
  /** Calls created before this time. */
  createdTo?: Date;
  /** 1..500, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface CallPage {
  items: CallRecord[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

function toRecord(row: CallRow): CallRecord {
  return {
    id: row.id,
    direction: oneOf(CALL_DIRECTIONS, row.direction, 'calls.direction'),
    state: oneOf(CALL_STATES, row.state, 'calls.state'),
    fromNumber: row.from_number,
    toNumber: row.to_number,
    route: row.route,
    agentKind: row.agent_kind,
    callerChannelId: row.caller_channel_id,
    mediaChannelId: row.media_channel_id,
    bridgeId: row.bridge_id,
    audiosocketUuid: row.audiosocket_uuid,
    ownerInstance: row.owner_instance,
    createdAt: row.created_at,
    answeredAt: row.answered_at,
    endedAt: row.ended_at,
    hangupCause: row.hangup_cause,
    hangupCauseTxt: row.hangup_cause_txt,
    hangupInitiator: oneOfOrNull(HANGUP_INITIATORS, row.hangup_initiator, 'calls.hangup_initiator'),
    closeReason: row.close_reason,
    latency: fromJsonText(row.latency),
    mediaWorker: parseMediaWorkerColumn(row.media_worker),
  };
}

function patchToRow(patch: CallPatch): CallRowUpdate {
  const row: CallRowUpdate = {};
  if (patch.state !== undefined) row.state = patch.state;
  if (patch.route !== undefined) row.route = patch.route;
  if (patch.agentKind !== undefined) row.agent_kind = patch.agentKind;
  if (patch.callerChannelId !== undefined) row.caller_channel_id = patch.callerChannelId;
  if (patch.mediaChannelId !== undefined) row.media_channel_id = patch.mediaChannelId;
  if (patch.bridgeId !== undefined) row.bridge_id = patch.bridgeId;
  if (patch.audiosocketUuid !== undefined) row.audiosocket_uuid = patch.audiosocketUuid;
  if (patch.ownerInstance !== undefined) row.owner_instance = patch.ownerInstance;
  if (patch.answeredAt !== undefined) row.answered_at = patch.answeredAt;
  if (patch.mediaWorker !== undefined) row.media_worker = mediaWorkerColumn(patch.mediaWorker);
  return row;
}

/** Reads and writes `calls`. Every method works on the `Kysely<DB>` (or transaction) it was given. */
export class CallsRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** Inserts a call. Returns false (and changes nothing) when a call with this id already exists. */
  async create(call: NewCall): Promise<boolean> {
    try {
      await this.#db
        .insertInto('calls')
        .values({
          id: call.id,
          direction: call.direction,
          state: call.state ?? 'created',
          from_number: call.fromNumber ?? null,
          to_number: call.toNumber ?? null,
          route: call.route ?? null,
          agent_kind: call.agentKind ?? null,
          caller_channel_id: call.callerChannelId ?? null,
          media_channel_id: call.mediaChannelId ?? null,
          bridge_id: call.bridgeId ?? null,
          audiosocket_uuid: call.audiosocketUuid ?? null,
          owner_instance: call.ownerInstance ?? null,
          created_at: call.createdAt ?? new Date(),
          hangup_cause: null,
          hangup_cause_txt: null,
          hangup_initiator: null,
          close_reason: null,
        })
        .execute();
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw toDbError(err, 'insert call');
    }
  }

  async get(id: string): Promise<CallRecord | undefined> {
    try {
      const row = await this.#db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    } catch (err) {
      throw toDbError(err, 'get call');
    }
  }

  /** Changes a call that has not ended. Returns false when no such live call exists. */
  async update(id: string, patch: CallPatch): Promise<boolean> {
    const values = patchToRow(patch);
    if (Object.keys(values).length === 0) return (await this.get(id)) !== undefined;
    try {
      const r = await this.#db
        .updateTable('calls')
        .set(values)
        .where('id', '=', id)
        .where('state', 'not in', TERMINAL_CALL_STATES)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    } catch (err) {
      throw toDbError(err, 'update call');
    }
  }

  /** Records the end of a call once; a call that already ended keeps its first end. Returns whether it changed. */
  async markEnded(id: string, end: CallEnd): Promise<boolean> {
    try {
      const r = await this.#db
        .updateTable('calls')
        .set({
          state: end.state ?? 'ended',
          ended_at: end.endedAt,
          hangup_cause: end.hangupCause ?? null,
          hangup_cause_txt: end.hangupCauseTxt ?? null,
          hangup_initiator: end.hangupInitiator ?? null,
          close_reason: end.closeReason ?? null,
          ...(end.latency !== undefined ? { latency: toJsonText(end.latency) } : {}),
        })
        .where('id', '=', id)
        .where('state', 'not in', TERMINAL_CALL_STATES)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    } catch (err) {
      throw toDbError(err, 'mark call ended');
    }
  }

  /** How many of these calls are recorded and have not ended (0 for no ids). */
  async countOpen(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    try {
      const row = await this.#db
        .selectFrom('calls')
        .select((eb) => eb.fn.countAll<number>().as('open'))
        .where('id', 'in', ids)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      return Number(row?.open ?? 0);
    } catch (err) {
      throw toDbError(err, 'count open calls');
    }
  }

  /**
   * Instances named as owner of at least one call that has not ended (at most `limit`), from the
   * `calls_open_owner` index. Calls with no owner recorded are not listed.
   */
  async openCallOwners(limit = 1000): Promise<string[]> {
    try {
      const rows = await this.#db
        .selectFrom('calls')
        .select('owner_instance')
        .distinct()
        .where('ended_at', 'is', null)
        .where('owner_instance', 'is not', null)
        .limit(limit)
        .execute();
      return rows.map((r) => r.owner_instance).filter((o): o is string => o !== null);
    } catch (err) {
      throw toDbError(err, 'list owners of open calls');
    }
  }

  /**
   * One page of the calls an instance owns that have not ended, in id order after `afterId`; with `createdBefore`,
   * only calls created before that time.
   */
  async openCallsOf(
    owner: string,
    page: { afterId?: string; createdBefore?: Date; limit: number },
  ): Promise<Array<{ id: string; route: string | null; createdAt: Date }>> {
    try {
      let q = this.#db
        .selectFrom('calls')
        .select(['id', 'route', 'created_at'])
        .where('ended_at', 'is', null)
        .where('owner_instance', '=', owner);
      if (page.afterId !== undefined) q = q.where('id', '>', page.afterId);
      if (page.createdBefore !== undefined) q = q.where('created_at', '<', page.createdBefore);
      const rows = await q.orderBy('id').limit(page.limit).execute();
      return rows.map((r) => ({ id: r.id, route: r.route, createdAt: r.created_at }));
    } catch (err) {
      throw toDbError(err, 'list open calls of an instance');
    }
  }

  /**
   * Ends a call whose owner instance is gone, with reason `orphaned`, if it is still open and still recorded as
   * that instance's. The update is conditional, so when several instances try at once exactly one gets true.
   */
  async closeOrphaned(id: string, owner: string, endedAt: Date): Promise<boolean> {
    try {
      const r = await this.#db
        .updateTable('calls')
        .set({
          state: 'failed',
          ended_at: endedAt,
          hangup_cause: null,
          hangup_cause_txt: null,
          hangup_initiator: 'system',
          close_reason: 'orphaned',
        })
        .where('id', '=', id)
        .where('owner_instance', '=', owner)
        .where('ended_at', 'is', null)
        .where('state', 'not in', TERMINAL_CALL_STATES)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    } catch (err) {
      throw toDbError(err, 'close orphaned call');
    }
  }

  /** Lists calls newest first, optionally filtered, one page at a time (keyset pagination on created_at, id). */
  async list(query: CallListQuery = {}): Promise<CallPage> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? 50), 1), 500);
    const after: ListCursor | undefined = query.cursor ? decodeCursor(query.cursor) : undefined;
    try {
      let q = this.#db.selectFrom('calls').selectAll();
      if (query.state) q = q.where('state', '=', query.state);
      if (query.direction) q = q.where('direction', '=', query.direction);
      if (query.route) q = q.where('route', '=', query.route);
      if (query.createdFrom) q = q.where('created_at', '>=', query.createdFrom);
      if (query.createdTo) q = q.where('created_at', '<', query.createdTo);
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '<', after.createdAt),
            eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map(toRecord);
      const last = items[items.length - 1];
      const nextCursor = rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null;
      return { items, nextCursor };
    } catch (err) {
      throw toDbError(err, 'list calls');
    }
  }
}
