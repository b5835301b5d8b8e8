import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { CallEventsRepository } from '../db/call-events-repository.js';
import { CallsRepository } from '../db/calls-repository.js';
import { RecordingsRepository } from '../db/recordings-repository.js';
import type { DB } from '../db/schema.js';
import { ToolCallsRepository } from '../db/tool-calls-repository.js';
import { TranscriptsRepository } from '../db/transcripts-repository.js';
import type { CallControlClient } from '../jobs/call-control-client.js';
import { isControlError } from '../jobs/control-error.js';
import {
  CALL_ACTIONS,
  callIdParamsSchema,
  idempotencyKeySchema,
  listCallsQuerySchema,
  originateBodySchema,
} from './api-schemas.js';
import { HttpError, jobLayerDisabled, toErrorResponse, validationError } from './http-error.js';
import type { IdempotencyStore } from './idempotency-store.js';
import type { Principal } from './token-auth.js';

/** What the call routes need from the service: the job layer and the database, while they run. */
export interface CallRoutesDeps {
  control(): Pick<CallControlClient, 'execute'> | undefined;
  db(): Kysely<DB> | undefined;
  idempotency(): IdempotencyStore | undefined;
  /** Wait for a control result this long. */
  controlTimeoutMs: number;
  /** Guards a route: authenticates, checks the scope, applies the rate limit. */
  guard(scope: 'read' | 'control'): (req: FastifyRequest) => Promise<void>;
  principalOf(req: FastifyRequest): Principal;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw jobLayerDisabled();
  return value;
}

/** `/v1/calls` routes: originate, list, get, and the live-call actions. */
export function registerCallRoutes(app: FastifyInstance, deps: CallRoutesDeps): void {
  const execOptions = () => ({ timeoutMs: deps.controlTimeoutMs });

  app.post('/v1/calls', { preHandler: deps.guard('control') }, async (req, reply: FastifyReply) => {
    const control = need(deps.control());
    const body = parse(originateBodySchema, req.body ?? {}, 'body');
    const rawKey = req.headers['idempotency-key'];
    const key = rawKey === undefined ? undefined : idempotencyKeySchema.safeParse(rawKey);
    if (key && !key.success) {
      throw new HttpError(400, 'INVALID_REQUEST', `Idempotency-Key: ${key.error.issues[0]?.message}`, {
        category: 'invalid_request',
        field: 'headers.idempotency-key',
      });
    }
    const store = key?.success ? deps.idempotency() : undefined;
    const scope = deps.principalOf(req).name;
    if (store && key?.success) {
      const existing = await store.claim(scope, key.data);
      if (existing?.state === 'pending') {
        throw new HttpError(409, 'IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is still running', {
          category: 'conflict',
          retryable: true,
        });
      }
      if (existing?.state === 'done') {
        return reply.code(existing.response.status).header('idempotent-replayed', 'true').send(existing.response.body);
      }
    }
    let status: number;
    let payload: unknown;
    try {
      payload = await control.execute({ type: 'originate', ...body }, execOptions());
      status = 201;
    } catch (err) {
      const { status: s, body: b } = toErrorResponse(err);
      if (store && key?.success) {
        // A failure that may not have placed the call frees the key for a retry; a definite answer is kept.
        if (s >= 500 && !(isControlError(err) && err.details?.executed === true)) await store.release(scope, key.data);
        else await store.complete(scope, key.data, { status: s, body: b });
      }
      throw err;
    }
    if (store && key?.success) await store.complete(scope, key.data, { status, body: payload });
    return reply.code(status).send(payload);
  });

  app.get('/v1/calls', { preHandler: deps.guard('read') }, async (req) => {
    const db = need(deps.db());
    const q = parse(listCallsQuerySchema, req.query ?? {}, 'query');
    return new CallsRepository(db).list({
      ...(q.state ? { state: q.state } : {}),
      ...(q.direction ? { direction: q.direction } : {}),
      ...(q.route ? { route: q.route } : {}),
      ...(q.from ? { createdFrom: new Date(q.from) } : {}),
      ...(q.to ? { createdTo: new Date(q.to) } : {}),
      ...(q.limit ? { limit: q.limit } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
  });

  app.get('/v1/calls/:id', { preHandler: deps.guard('read') }, async (req) => {
    const db = need(deps.db());
    const { id } = parse(callIdParamsSchema, req.params, 'params');
    const call = await new CallsRepository(db).get(id);
    if (!call) {
      throw new HttpError(404, 'CALL_NOT_FOUND', `no call ${id}`, { category: 'not_found', details: { callId: id } });
    }
    const [events, transcript, toolCalls, recordings] = await Promise.all([
      new CallEventsRepository(db).listByCall(id, { limit: 1000 }),
      new TranscriptsRepository(db).listByCall(id, { limit: 1000 }),
      new ToolCallsRepository(db).listByCall(id),
      new RecordingsRepository(db).listByCall(id),
    ]);
    return { call, events, transcript, toolCalls, recordings };
  });

  for (const [action, spec] of Object.entries(CALL_ACTIONS)) {
    app.post(`/v1/calls/:id/${action}`, { preHandler: deps.guard('control') }, async (req) => {
      const control = need(deps.control());
      const { id } = parse(callIdParamsSchema, req.params, 'params');
      const body = parse(spec.body as z.ZodType<Record<string, unknown>>, req.body ?? {}, 'body');
      const command = { ...body, type: spec.command, callId: id } as Parameters<typeof control.execute>[0];
      return control.execute(command, execOptions());
    });
  }
}
