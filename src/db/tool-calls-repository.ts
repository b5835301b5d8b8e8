import type { Kysely } from 'kysely';
import { isDuplicateKeyError, toDbError } from './db-error.js';
import { fromJsonText, toJsonText } from './json-column.js';
import { oneOf, oneOfOrNull } from './row-values.js';
import {
  type DB,
  TOOL_CALL_STATUSES,
  TOOL_RESULT_DELIVERIES,
  type ToolCallRow,
  type ToolCallStatus,
  type ToolResultDelivery,
} from './schema.js';

/** One function call an agent made, as stored. `(callId, toolCallId)` is its idempotency key. */
export interface ToolCallRecord {
  callId: string;
  toolCallId: string;
  name: string;
  arguments: unknown;
  status: ToolCallStatus;
  result: unknown;
  errorCode: string | null;
  error: string | null;
  attempts: number;
  requestedBy: string | null;
  runToken: string | null;
  resultDelivery: ToolResultDelivery | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  deliveredAt: Date | null;
}

export interface NewToolCall {
  callId: string;
  toolCallId: string;
  name: string;
  arguments: unknown;
  requestedBy?: string | null;
}

/** How a run ended. */
export type ToolCallOutcome =
  | { status: 'succeeded'; result: unknown }
  | { status: 'failed' | 'timed_out'; errorCode: string; error: string };

function toRecord(row: ToolCallRow): ToolCallRecord {
  return {
    callId: row.call_id,
    toolCallId: row.tool_call_id,
    name: row.name,
    arguments: fromJsonText(row.arguments),
    status: oneOf(TOOL_CALL_STATUSES, row.status, 'tool_calls.status'),
    result: fromJsonText(row.result),
    errorCode: row.error_code,
    error: row.error,
    attempts: row.attempts,
    requestedBy: row.requested_by,
    runToken: row.run_token,
    resultDelivery: oneOfOrNull(TOOL_RESULT_DELIVERIES, row.result_delivery, 'tool_calls.result_delivery'),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    deliveredAt: row.delivered_at,
  };
}

/**
 * Reads and writes `tool_calls`. The row is the idempotency record of a tool call: it is created once, claimed
 * by one run (`pending` → `running` with a run token), and finished once by the run holding the token.
 */
export class ToolCallsRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /**
   * Creates the row, or returns the existing one (`created` says which). With `runToken` the new row is created
   * already claimed by that run (`running`, first attempt counted), saving the separate claim.
   */
  async createIfAbsent(call: NewToolCall, runToken?: string): Promise<{ record: ToolCallRecord; created: boolean }> {
    const now = new Date();
    const record: ToolCallRecord = {
      callId: call.callId,
      toolCallId: call.toolCallId,
      name: call.name,
      arguments: call.arguments ?? null,
      status: runToken ? 'running' : 'pending',
      result: null,
      errorCode: null,
      error: null,
      attempts: runToken ? 1 : 0,
      requestedBy: call.requestedBy ?? null,
      runToken: runToken ?? null,
      resultDelivery: null,
      createdAt: now,
      startedAt: runToken ? now : null,
      finishedAt: null,
      deliveredAt: null,
    };
    try {
      await this.#db
        .insertInto('tool_calls')
        .values({
          call_id: record.callId,
          tool_call_id: record.toolCallId,
          name: record.name,
          arguments: toJsonText(call.arguments),
          status: record.status,
          result: null,
          error_code: null,
          error: null,
          attempts: record.attempts,
          requested_by: record.requestedBy,
          run_token: record.runToken,
          result_delivery: null,
          created_at: now,
          started_at: record.startedAt,
        })
        .execute();
      return { created: true, record };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw toDbError(err, 'insert tool call');
    }
    const existing = await this.get(call.callId, call.toolCallId);
    if (!existing) throw toDbError(new Error('row vanished after duplicate key'), 'insert tool call');
    return { record: existing, created: false };
  }

  async get(callId: string, toolCallId: string): Promise<ToolCallRecord | undefined> {
    try {
      const row = await this.#db
        .selectFrom('tool_calls')
        .selectAll()
        .where('call_id', '=', callId)
        .where('tool_call_id', '=', toolCallId)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    } catch (err) {
      throw toDbError(err, 'get tool call');
    }
  }

  /**
   * Takes the call for one run: `pending` → `running` with `runToken`, counting its first attempt. With
   * `takeOver`, a call left `running` by a run that died is taken too. Returns whether this run holds it now.
   */
  async claim(callId: string, toolCallId: string, runToken: string, options: { takeOver?: boolean } = {}) {
    const from: ToolCallStatus[] = options.takeOver ? ['pending', 'running'] : ['pending'];
    try {
      const r = await this.#db
        .updateTable('tool_calls')
        .set((eb) => ({
          status: 'running' as const,
          run_token: runToken,
          started_at: new Date(),
          attempts: eb('attempts', '+', 1),
        }))
        .where('call_id', '=', callId)
        .where('tool_call_id', '=', toolCallId)
        .where('status', 'in', from)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    } catch (err) {
      throw toDbError(err, 'claim tool call');
    }
  }

  /** Counts a further attempt (a retried HTTP request) of the run holding `runToken`. */
  async countAttempt(callId: string, toolCallId: string, runToken: string): Promise<void> {
    try {
      await this.#db
        .updateTable('tool_calls')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('call_id', '=', callId)
        .where('tool_call_id', '=', toolCallId)
        .where('run_token', '=', runToken)
        .execute();
    } catch (err) {
      throw toDbError(err, 'count tool call attempt');
    }
  }

  /**
   * Finishes the call with its outcome if `runToken` still holds it (status `running`); the result then waits for
   * delivery (`result_delivery = 'pending'`). Returns false when another run took it or it already finished.
   */
  async finish(callId: string, toolCallId: string, runToken: string, outcome: ToolCallOutcome): Promise<boolean> {
    try {
      const r = await this.#db
        .updateTable('tool_calls')
        .set({
          status: outcome.status,
          finished_at: new Date(),
          result_delivery: 'pending',
          ...(outcome.status === 'succeeded'
            ? { result: toJsonText(outcome.result), error_code: null, error: null }
            : { result: null, error_code: outcome.errorCode, error: outcome.error.slice(0, 2048) }),
        })
        .where('call_id', '=', callId)
        .where('tool_call_id', '=', toolCallId)
        .where('status', '=', 'running')
        .where('run_token', '=', runToken)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    } catch (err) {
      throw toDbError(err, 'finish tool call');
    }
  }

  /** Records where the result went: to the live call, or nowhere because the call had ended. */
  async markDelivery(callId: string, toolCallId: string, delivery: Exclude<ToolResultDelivery, 'pending'>) {
    try {
      await this.#db
        .updateTable('tool_calls')
        .set({ result_delivery: delivery, delivered_at: delivery === 'delivered' ? new Date() : null })
        .where('call_id', '=', callId)
        .where('tool_call_id', '=', toolCallId)
        .where('result_delivery', '=', 'pending')
        .execute();
    } catch (err) {
      throw toDbError(err, 'mark tool result delivery');
    }
  }

  /** A call's tool calls in the order they were made. */
  async listByCall(callId: string): Promise<ToolCallRecord[]> {
    try {
      const rows = await this.#db
        .selectFrom('tool_calls')
        .selectAll()
        .where('call_id', '=', callId)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toRecord);
    } catch (err) {
      throw toDbError(err, 'list tool calls');
    }
  }
}
