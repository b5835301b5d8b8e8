/**
 * The request core of the ARI REST client: builds the URL (parameters in the query string, as Asterisk and the
 * recorded controller use them; `variables` in a JSON body), sends it with Basic auth and a per-request timeout,
 * and turns the answer into a parsed value or a classified error.
 */
import type { z } from 'zod';
import { ProtocolError } from '../../errors/index.js';
import type { Logger } from '../../observability/logger.js';
import type { AriEndpoint } from './ari-endpoint.js';
import { AriHttpError, AriRequestError, redactSecrets } from './ari-errors.js';

export type AriMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type AriQueryValue = string | number | boolean | readonly string[] | undefined;

/** Per-call options every client method accepts. */
export interface AriRequestOptions {
  /** Cancels the request; the method then rejects with `ARI_ABORTED`. */
  readonly signal?: AbortSignal | undefined;
  /** Overrides the client's default timeout for this request. */
  readonly timeoutMs?: number | undefined;
}

export interface AriRequest extends AriRequestOptions {
  readonly method: AriMethod;
  /** Path below `/ari`, starting with `/`; id segments already encoded (see `seg`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, AriQueryValue>> | undefined;
  /** JSON body (only `variables` is sent this way). */
  readonly body?: Readonly<Record<string, unknown>> | undefined;
}

export interface AriHttpOptions {
  readonly endpoint: AriEndpoint;
  /** Default per-request timeout; 10 s unless given. */
  readonly requestTimeoutMs?: number | undefined;
  /** The fetch implementation; the global one unless given. */
  readonly fetch?: typeof globalThis.fetch | undefined;
  readonly logger?: Logger | undefined;
}

/** The request options out of a parameter object (so other fields never leak into the request). */
export function opts(options: AriRequestOptions): AriRequestOptions {
  return { signal: options.signal, timeoutMs: options.timeoutMs };
}

/** Encodes one path segment (an id or a name). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

function queryString(query: Readonly<Record<string, AriQueryValue>> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

function errorMessageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const message = record['message'] ?? record['error'];
  return typeof message === 'string' ? message : undefined;
}

function networkDetail(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return `connection failed (${cause.code})`;
  if (cause && typeof cause.message === 'string') return `connection failed (${cause.message})`;
  return `connection failed (${err instanceof Error ? err.message : String(err)})`;
}

/** Sends ARI requests. Stateless apart from its options; safe to share. */
export class AriHttp {
  readonly #endpoint: AriEndpoint;
  readonly #timeoutMs: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #logger: Logger | undefined;

  constructor(options: AriHttpOptions) {
    this.#endpoint = options.endpoint;
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#logger = options.logger;
  }

  /** Sends the request and parses a JSON answer with `schema`. */
  async json<S extends z.ZodType>(request: AriRequest, schema: S): Promise<z.infer<S>> {
    const { status, text, displayPath } = await this.#send(request);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new ProtocolError(
        'ARI_BAD_RESPONSE',
        `ARI ${request.method} ${displayPath}: ${status} body is not JSON`,
        {
          status,
        },
        cause,
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProtocolError(
        'ARI_BAD_RESPONSE',
        `ARI ${request.method} ${displayPath}: unexpected response shape (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`,
        { status },
      );
    }
    return parsed.data;
  }

  /** Sends the request and ignores any answer body (204 and the like). */
  async void(request: AriRequest): Promise<void> {
    await this.#send(request);
  }

  async #send(request: AriRequest): Promise<{ status: number; text: string; displayPath: string }> {
    const displayPath = `/ari${request.path}`;
    const url = `${this.#endpoint.root}${request.path}${queryString(request.query)}`;
    const timeoutMs = request.timeoutMs ?? this.#timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const headers: Record<string, string> = { Authorization: this.#endpoint.authorizationHeader() };
    let body: string | undefined;
    if (request.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    const started = performance.now();
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, { method: request.method, headers, body, signal });
      text = await response.text();
    } catch (err) {
      throw this.#requestFailure(request, displayPath, err, timeoutMs);
    }
    const ms = Math.round(performance.now() - started);
    if (response.status >= 400) {
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const ariMessage = errorMessageOf(parsed);
      this.#logger?.debug(
        { method: request.method, path: displayPath, status: response.status, ms },
        'ARI request failed',
      );
      throw new AriHttpError({
        status: response.status,
        method: request.method,
        path: displayPath,
        ariMessage: ariMessage === undefined ? undefined : redactSecrets(ariMessage, this.#endpoint.secrets()),
      });
    }
    this.#logger?.debug({ method: request.method, path: displayPath, status: response.status, ms }, 'ARI request');
    return { status: response.status, text, displayPath };
  }

  #requestFailure(request: AriRequest, displayPath: string, err: unknown, timeoutMs: number): AriRequestError {
    const base = { method: request.method, path: displayPath };
    if (request.signal?.aborted) {
      return new AriRequestError('ARI_ABORTED', { ...base, detail: 'aborted', cause: request.signal.reason });
    }
    const name = (err as { name?: unknown } | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new AriRequestError('ARI_TIMEOUT', { ...base, detail: `no answer within ${timeoutMs} ms` });
    }
    const detail = redactSecrets(networkDetail(err), this.#endpoint.secrets());
    this.#logger?.debug({ method: request.method, path: displayPath, detail }, 'ARI request failed');
    return new AriRequestError('ARI_UNAVAILABLE', { ...base, detail, cause: err });
  }
}
