import type { Kysely } from 'kysely';
import { type CallRecord, CallsRepository } from '../../db/calls-repository.js';
import { CALL_STATES, type CallState, type DB } from '../../db/schema.js';

export interface HistoryQuery {
  /** Free text: matched against call id, numbers, route, agent kind, close reason and transcript text. */
  q?: string | undefined;
  state?: CallState | undefined;
  /** 1..100, default 50. */
  limit?: number | undefined;
}

/** Parses the console's history query string; unknown or malformed values are dropped, not refused. */
export function parseHistoryQuery(raw: unknown): HistoryQuery {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const q = typeof r.q === 'string' ? r.q.trim().slice(0, 100) : '';
  const state = typeof r.state === 'string' && (CALL_STATES as readonly string[]).includes(r.state) ? r.state : '';
  const limit = typeof r.limit === 'string' ? Number.parseInt(r.limit, 10) : Number.NaN;
  return {
    ...(q ? { q } : {}),
    ...(state ? { state: state as CallState } : {}),
    ...(Number.isFinite(limit) ? { limit } : {}),
  };
}

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
function likeLiteral(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Recorded calls, newest first, matching a search: the ids are found with one query, the records read through
 * `CallsRepository` so the console shows exactly what the REST API returns.
 */
export async function searchCallHistory(db: Kysely<DB>, query: HistoryQuery): Promise<CallRecord[]> {
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 50), 1), 100);
  let q = db.selectFrom('calls').select(['calls.id']);
  if (query.state) q = q.where('calls.state', '=', query.state);
  if (query.q) {
    const pattern = likeLiteral(query.q);
    q = q.where((eb) =>
      eb.or([
        eb('calls.id', 'like', pattern),
        eb('calls.from_number', 'like', pattern),
        eb('calls.to_number', 'like', pattern),
        eb('calls.route', 'like', pattern),
        eb('calls.agent_kind', 'like', pattern),
        eb('calls.close_reason', 'like', pattern),
        eb.exists(
          eb
            .selectFrom('transcripts')
            .select('transcripts.id')
            .whereRef('transcripts.call_id', '=', 'calls.id')
            .where('transcripts.text', 'like', pattern),
        ),
      ]),
    );
  }
  const rows = await q.orderBy('calls.created_at', 'desc').orderBy('calls.id', 'desc').limit(limit).execute();
  const repo = new CallsRepository(db);
  const records = await Promise.all(rows.map((r) => repo.get(r.id)));
  return records.filter((r): r is CallRecord => r !== undefined);
}
