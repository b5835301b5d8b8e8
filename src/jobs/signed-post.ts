import http from 'node:http';
import https from 'node:https';
import {
  ATTEMPT_HEADER,
  EVENT_ID_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  SIGNATURE_HEADER,
  signWebhookPayload,
  TIMESTAMP_HEADER,
} from './webhook-signature.js';

/** How a POST ended: a response (any status), a network failure, or no response within the timeout. */
export type PostOutcome =
  | { kind: 'response'; status: number; body: string; contentType: string | null; retryAfterMs: number | null }
  | { kind: 'network'; error: string }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'aborted' };

export interface SignedPostOptions {
  url: string;
  secret: string;
  /** The JSON text sent, exactly as signed. */
  body: string;
  timeoutMs: number;
  eventId?: string;
  idempotencyKey?: string;
  attempt?: number;
  signal?: AbortSignal;
  /** Most response bytes read; the rest is ignored. */
  maxResponseBytes?: number;
}

/** Whether an HTTP status is worth retrying: request timeout, too early, rate limited, or a server error. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const sec = Number(value);
  if (Number.isFinite(sec) && sec >= 0) return sec * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : null;
}

/** Per scheme, the request function and the keep-alive agent every signed POST shares (tools and webhooks). */
const TRANSPORTS = {
  'http:': { request: http.request, agent: new http.Agent({ keepAlive: true, maxSockets: 256 }) },
  'https:': { request: https.request, agent: new https.Agent({ keepAlive: true, maxSockets: 256 }) },
} as const;

function header(value: string | string[] | undefined): string | null {
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
}

/** One POST over node:http(s), its response read up to `max` bytes; rejects on network errors and aborts. */
function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
  max: number,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const transport = TRANSPORTS[url.protocol as keyof typeof TRANSPORTS];
  if (transport === undefined) return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
  const { request, agent } = transport;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, signal, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        let total = 0;
        const done = () => {
          res.removeAllListeners('data');
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).subarray(0, max).toString('utf8'),
            headers: res.headers,
          });
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          total += chunk.length;
          if (total >= max) {
            done();
            res.destroy(); // the rest is ignored; the connection is not reused
          }
        });
        res.on('end', done);
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * POSTs a JSON body signed with the `X-Ava-Signature` scheme (see `webhook-signature.ts`) over node:http(s) with
 * keep-alive connections (redirects are not followed: a 3xx is a final status). Never throws: every ending is a
 * `PostOutcome`, which callers classify (2xx success; `isRetryableStatus`, network and timeout failures may be
 * retried; other statuses are final).
 */
export async function signedJsonPost(o: SignedPostOptions): Promise<PostOutcome> {
  const t = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'ava-asterisk-adapter',
    [SIGNATURE_HEADER]: signWebhookPayload(o.secret, o.body, t),
    [TIMESTAMP_HEADER]: String(t),
  };
  if (o.eventId) headers[EVENT_ID_HEADER] = o.eventId;
  if (o.idempotencyKey) headers[IDEMPOTENCY_KEY_HEADER] = o.idempotencyKey;
  if (o.attempt !== undefined) headers[ATTEMPT_HEADER] = String(o.attempt);
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  try {
    const res = await post(new URL(o.url), headers, o.body, signal, o.maxResponseBytes ?? 1_048_576);
    return {
      kind: 'response',
      status: res.status,
      body: res.body,
      contentType: header(res.headers['content-type']),
      retryAfterMs: parseRetryAfter(header(res.headers['retry-after'])),
    };
  } catch (err) {
    if (o.signal?.aborted) return { kind: 'aborted' };
    if (timeout.aborted) return { kind: 'timeout', timeoutMs: o.timeoutMs };
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { kind: 'network', error: `${err instanceof Error ? err.message : String(err)}${cause}` };
  }
}
