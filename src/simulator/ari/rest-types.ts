/** Request, reply and route shapes of the simulated ARI REST interface, and parameter readers. */
import { ariError } from './sim-core.js';

/** One REST request after auth: parameters from the query string merged with a JSON body's fields. */
export interface SimRequest {
  readonly method: string;
  /** Path below `/ari`, e.g. `/channels/1.0/answer`. */
  readonly path: string;
  readonly params: ReadonlyMap<string, string>;
  /** The body's `variables` object, if any. */
  readonly variables: Readonly<Record<string, string>> | undefined;
}

export interface SimReply {
  readonly status: number;
  readonly body?: unknown;
  readonly statusText?: string;
  /** Runs right after the reply is written (events Asterisk sends after its answer). */
  readonly after?: () => void;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Anchored pattern of the path below `/ari`; groups are path parameters (decoded before the handler). */
  readonly pattern: RegExp;
  readonly handler: (req: SimRequest, pathParams: readonly string[]) => SimReply | Promise<SimReply>;
}

export const noContent: SimReply = Object.freeze({ status: 204 });

export function ok(body: unknown, after?: () => void): SimReply {
  return after === undefined ? { status: 200, body } : { status: 200, body, after };
}

/** A parameter, or undefined when absent or empty (Asterisk treats both alike). */
export function param(req: SimRequest, name: string): string | undefined {
  const value = req.params.get(name);
  return value === undefined || value === '' ? undefined : value;
}

/** A comma-separated list parameter (`channel=a,b`); repeated parameters were already joined. */
export function listParam(req: SimRequest, name: string): string[] {
  const value = param(req, name);
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function intParam(req: SimRequest, name: string): number | undefined {
  const value = param(req, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw ariError(400, `${name} must be an integer`);
  return n;
}

export function boolParam(req: SimRequest, name: string): boolean | undefined {
  const value = param(req, name);
  if (value === undefined) return undefined;
  return value === 'true' || value === 'yes' || value === '1';
}
