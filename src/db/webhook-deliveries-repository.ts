import type { Kysely } from 'kysely';
import { isDuplicateKeyError, toDbError } from './db-error.js';
import { insertedId, oneOf } from './row-values.js';
import { type DB, WEBHOOK_DELIVERY_STATUSES, type WebhookDeliveryRow, type WebhookDeliveryStatus } from './schema.js';

/** One event's delivery to one webhook endpoint. */
export interface WebhookDeliveryRecord {
  id: number;
  eventRowId: number;
  callId: string;
  endpointUrl: string;
  endpointKey: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

export interface NewWebhookDelivery {
  eventRowId: number;
  callId: string;
  endpointUrl: string;
  endpointKey: string;
}

/** Result of one delivery attempt. `final` on a failure means no further attempt will be made. */
export type DeliveryAttempt =
  | { ok: true; statusCode: number }
  | { ok: false; statusCode: number | null; error: string; final: boolean };

function toRecord(row: WebhookDeliveryRow): WebhookDeliveryRecord {
  return {
    id: Number(row.id),
    eventRowId: Number(row.event_row_id),
    callId: row.call_id,
    endpointUrl: row.endpoint_url,
    endpointKey: row.endpoint_key,
    status: oneOf(WEBHOOK_DELIVERY_STATUSES, row.status, 'webhook_deliveries.status'),
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
  };
}

/** Reads and writes `webhook_deliveries`: what was delivered where, how often it was tried, the last error. */
export class WebhookDeliveriesRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** Creates the pending delivery of an event to an endpoint, or returns the one that exists. */
  async createIfAbsent(d: NewWebhookDelivery): Promise<WebhookDeliveryRecord> {
    const now = new Date();
    try {
      const r = await this.#db
        .insertInto('webhook_deliveries')
        .values({
          event_row_id: d.eventRowId,
          call_id: d.callId,
          endpoint_url: d.endpointUrl,
          endpoint_key: d.endpointKey,
          status: 'pending',
          attempts: 0,
          last_status_code: null,
          last_error: null,
          created_at: now,
          updated_at: now,
        })
        .executeTakeFirstOrThrow();
      return {
        id: insertedId(r.insertId, 'webhook_deliveries'),
        eventRowId: d.eventRowId,
        callId: d.callId,
        endpointUrl: d.endpointUrl,
        endpointKey: d.endpointKey,
        status: 'pending',
        attempts: 0,
        lastStatusCode: null,
        lastError: null,
        createdAt: now,
        updatedAt: now,
        deliveredAt: null,
      };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw toDbError(err, 'insert webhook delivery');
    }
    try {
      const row = await this.#db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('event_row_id', '=', d.eventRowId)
        .where('endpoint_key', '=', d.endpointKey)
        .executeTakeFirstOrThrow();
      return toRecord(row);
    } catch (err) {
      throw toDbError(err, 'get webhook delivery');
    }
  }

  async get(id: number): Promise<WebhookDeliveryRecord | undefined> {
    try {
      const row = await this.#db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    } catch (err) {
      throw toDbError(err, 'get webhook delivery');
    }
  }

  /** Records an attempt: counts it, keeps the last status/error, and moves to delivered/failed when settled. */
  async recordAttempt(id: number, attempt: DeliveryAttempt): Promise<void> {
    const now = new Date();
    try {
      await this.#db
        .updateTable('webhook_deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          updated_at: now,
          last_status_code: attempt.statusCode,
          ...(attempt.ok
            ? { status: 'delivered' as const, delivered_at: now, last_error: null }
            : { last_error: attempt.error.slice(0, 1024), ...(attempt.final ? { status: 'failed' as const } : {}) }),
        }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .execute();
    } catch (err) {
      throw toDbError(err, 'record webhook attempt');
    }
  }

  /** A call's deliveries, oldest first. */
  async listByCall(callId: string): Promise<WebhookDeliveryRecord[]> {
    try {
      const rows = await this.#db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('call_id', '=', callId)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toRecord);
    } catch (err) {
      throw toDbError(err, 'list webhook deliveries');
    }
  }
}
