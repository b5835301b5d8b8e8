import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signature of webhook and HTTP-tool requests.
 *
 * Every POST the adapter makes to a webhook endpoint or an HTTP tool carries:
 *
 * - `X-Ava-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is the lowercase hex HMAC-SHA256, keyed with the
 *   endpoint's secret, of the string `"<t>.<raw request body>"` (the timestamp, a dot, then the body bytes exactly
 *   as received). Several `v1=` entries may appear (one per active secret); any match is valid.
 * - `X-Ava-Timestamp: <unix seconds>`: the same `t`, for logging.
 * - `X-Ava-Event-Id: <uuid>` (webhooks): the event's stable id; retries of one delivery repeat it, so receivers
 *   can drop duplicates.
 * - `X-Ava-Idempotency-Key: <callId>:<toolCallId>` (HTTP tools): repeated on every attempt of one tool call.
 *
 * To verify: take the raw body before any JSON parsing, call `verifyWebhookSignature(secret, header, body, 300)`,
 * and reject the request unless it returns true. The tolerance bounds replay of a captured request.
 */
export const SIGNATURE_HEADER = 'X-Ava-Signature';
export const TIMESTAMP_HEADER = 'X-Ava-Timestamp';
export const EVENT_ID_HEADER = 'X-Ava-Event-Id';
export const IDEMPOTENCY_KEY_HEADER = 'X-Ava-Idempotency-Key';
export const ATTEMPT_HEADER = 'X-Ava-Attempt';

function hmacHex(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The `X-Ava-Signature` value for a body signed at `timestampSec`. */
export function signWebhookPayload(secret: string, body: string | Buffer, timestampSec: number): string {
  const t = Math.floor(timestampSec);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/** Why a signature check failed, or the signed timestamp when it passed. */
export type SignatureCheck =
  | { valid: true; timestamp: number }
  | { valid: false; reason: 'malformed' | 'timestamp_out_of_tolerance' | 'signature_mismatch' };

/** Checks an `X-Ava-Signature` header and says why it fails. See `verifyWebhookSignature`. */
export function checkWebhookSignature(
  secret: string,
  header: string | undefined | null,
  body: string | Buffer,
  toleranceSec: number,
  nowSec: number = Date.now() / 1000,
): SignatureCheck {
  if (!header) return { valid: false, reason: 'malformed' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { valid: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return { valid: false, reason: 'malformed' };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (/^[0-9a-f]{64}$/.test(value)) signatures.push(value);
    }
  }
  if (timestamp === undefined || signatures.length === 0) return { valid: false, reason: 'malformed' };
  if (Math.abs(nowSec - timestamp) > toleranceSec) return { valid: false, reason: 'timestamp_out_of_tolerance' };
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  const match = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  return match ? { valid: true, timestamp } : { valid: false, reason: 'signature_mismatch' };
}

/**
 * Whether `header` (the `X-Ava-Signature` value) is a valid signature of the raw `body` under `secret`, made at most
 * `toleranceSec` seconds from now. Comparison is constant-time.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined | null,
  body: string | Buffer,
  toleranceSec: number,
): boolean {
  return checkWebhookSignature(secret, header, body, toleranceSec).valid;
}
