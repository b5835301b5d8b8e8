import { AppError, type ErrorCategory } from '../errors/app-error.js';

/** Where the REST API is and how to authenticate to it. */
export interface ApiClientOptions {
  url: string;
  token: string | undefined;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/** The REST API answered with an error, or could not be reached. `details.status` holds the HTTP status. */
export class ApiError extends AppError {}

function categoryOf(status: number): ErrorCategory {
  if (status === 400 || status === 413 || status === 415) return 'invalid_request';
  if (status === 401 || status === 403) return 'authentication';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limit';
  if (status === 503 || status === 502) return 'connectivity';
  if (status === 504) return 'timeout';
  return 'server';
}

/** A small client of the adapter's REST API for the `ava call` commands. */
export class ApiClient {
  readonly #o: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.#o = options;
  }

  async request(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<unknown> {
    const url = new URL(path, this.#o.url.endsWith('/') ? this.#o.url : `${this.#o.url}/`);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.#o.token) headers.authorization = `Bearer ${this.#o.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await (this.#o.fetch ?? globalThis.fetch)(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new ApiError(`cannot reach the adapter at ${this.#o.url}: ${(err as Error).message}`, {
        code: 'API_UNREACHABLE',
        category: 'connectivity',
        retryable: true,
        cause: err,
      });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (res.ok) return body;
    const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    throw new ApiError(typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`, {
      code: typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`,
      category: categoryOf(res.status),
      retryable: res.status === 429 || res.status >= 503,
      details: { status: res.status, ...(body && typeof body === 'object' ? { body } : {}) },
    });
  }
}
