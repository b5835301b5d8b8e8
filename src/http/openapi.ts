import { z } from 'zod';
import { controlResultSchemas } from '../jobs/control-commands.js';
import {
  audioSocketRouteBodySchema,
  CALL_ACTIONS,
  callDetailSchema,
  callPageSchema,
  errorBodySchema,
  listCallsQuerySchema,
  originateBodySchema,
  readinessSchema,
} from './api-schemas.js';

type JsonObject = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonObject {
  const out = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonObject;
  delete out.$schema;
  return out;
}

function json(schema: z.ZodType, description: string, io: 'input' | 'output' = 'output'): JsonObject {
  return { description, content: { 'application/json': { schema: schemaOf(schema, io) } } };
}

const errorRef = { $ref: '#/components/schemas/Error' };
function errors(...statuses: number[]): JsonObject {
  const text: Record<number, string> = {
    400: 'invalid request (error.field names the failing field)',
    401: 'missing or unknown bearer token',
    403: 'token lacks the needed scope',
    404: 'no such call',
    409: 'conflict (the command failed at the call, or the idempotency key is in use)',
    410: 'the call has ended',
    429: 'rate limit of this token exceeded',
    503: 'job layer disabled or the call owner unreachable',
    504: 'no result from the call owner in time',
  };
  return Object.fromEntries(
    statuses.map((s) => [
      String(s),
      { description: text[s] ?? 'error', content: { 'application/json': { schema: errorRef } } },
    ]),
  );
}

function queryParameters(schema: z.ZodObject): JsonObject[] {
  const js = schemaOf(schema, 'input') as { properties?: Record<string, JsonObject> };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
}

const callIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** The OpenAPI 3.0 document of the REST API, generated from the same zod schemas the handlers validate with. */
export function buildOpenApiDocument(version: string): JsonObject {
  const actionPaths: JsonObject = {};
  for (const [action, spec] of Object.entries(CALL_ACTIONS)) {
    actionPaths[`/v1/calls/{id}/${action}`] = {
      post: {
        summary: `${spec.command} on a live call (through the call-control queue, any instance)`,
        security: [{ bearer: ['control'] }],
        parameters: [callIdParam],
        requestBody: { required: action !== 'hangup', ...json(spec.body, 'command', 'input') },
        responses: { '200': json(spec.result, 'result'), ...errors(400, 401, 403, 404, 409, 410, 429, 503, 504) },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Asterisk voice-AI adapter', version },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: schemaOf(errorBodySchema) },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/calls': {
        post: {
          summary: 'Originate an outbound call',
          security: [{ bearer: ['control'] }],
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 255 },
              description: 'A repeated key returns the first response instead of placing another call (24 h).',
            },
          ],
          requestBody: { required: true, ...json(originateBodySchema, 'call to place', 'input') },
          responses: {
            '201': json(controlResultSchemas.originate, 'call placed'),
            ...errors(400, 401, 403, 409, 429, 503, 504),
          },
        },
        get: {
          summary: 'List calls, newest first',
          security: [{ bearer: ['read'] }],
          parameters: queryParameters(listCallsQuerySchema),
          responses: { '200': json(callPageSchema, 'one page'), ...errors(400, 401, 403, 429, 503) },
        },
      },
      '/v1/calls/{id}': {
        get: {
          summary: 'A call with its events, transcript, tool calls and recordings',
          security: [{ bearer: ['read'] }],
          parameters: [callIdParam],
          responses: { '200': json(callDetailSchema, 'the call'), ...errors(400, 401, 403, 404, 429, 503) },
        },
      },
      ...actionPaths,
      '/v1/audiosocket-routes/{uuid}': {
        put: {
          summary: 'Pre-register a dialplan-direct AudioSocket UUID to a route',
          security: [{ bearer: ['control'] }],
          parameters: [{ name: 'uuid', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
          requestBody: { required: true, ...json(audioSocketRouteBodySchema, 'route and lifetime', 'input') },
          responses: {
            '201': {
              description: 'registered',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { uuid: { type: 'string' }, route: { type: 'string' }, ttlSec: { type: 'number' } },
                  },
                },
              },
            },
            ...errors(400, 401, 403, 409, 429),
          },
        },
      },
      '/healthz': { get: { summary: 'Process is up', security: [], responses: { '200': { description: 'ok' } } } },
      '/readyz': {
        get: {
          summary: 'Ready to take calls (accepting, ARI connected, MySQL and Redis reachable)',
          security: [],
          responses: { '200': json(readinessSchema, 'ready'), '503': json(readinessSchema, 'not ready') },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: [],
          responses: { '200': { description: 'text exposition format', content: { 'text/plain': {} } } },
        },
      },
      '/v1/openapi.json': {
        get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.0 document' } } },
      },
    },
  };
}
