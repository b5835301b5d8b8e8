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

async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/**
 * POSTs a JSON body signed with the `X-Ava-Signature` scheme (see `webhook-signature.ts`). Never throws: every
 * ending is a `PostOutcome`, which callers classify (2xx success; `isRetryableStatus`, network and timeout
 * failures may be retried; other statuses are final).
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
    const res = await fetch(o.url, { method: 'POST', headers, body: o.body, signal, redirect: 'error' });
    const body = await readCapped(res, o.maxResponseBytes ?? 1_048_576);
    return {
      kind: 'response',
      status: res.status,
      body,
      contentType: res.headers.get('content-type'),
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
    };
  } catch (err) {
    if (o.signal?.aborted) return { kind: 'aborted' };
    if (timeout.aborted) return { kind: 'timeout', timeoutMs: o.timeoutMs };
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { kind: 'network', error: `${err instanceof Error ? err.message : String(err)}${cause}` };
  }
}
