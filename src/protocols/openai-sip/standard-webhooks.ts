import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (standardwebhooks.com), as the OpenAI project webhooks use them:
 *
 * - headers `webhook-id` (the delivery's id, repeated on retries), `webhook-timestamp` (Unix seconds) and
 *   `webhook-signature`: one or more space-separated `v1,<base64>` entries;
 * - each entry is the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed with the secret's
 *   bytes: the base64 text after the `whsec_` prefix, decoded;
 * - a delivery passes when any `v1` entry matches any of our secrets (several while a secret is rotated), compared
 *   in constant time, and its timestamp is within the tolerance of our clock (default 5 minutes).
 */

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/** The Standard Webhooks default tolerance. */
export const DEFAULT_WEBHOOK_TOLERANCE_S = 300;

/** The HMAC key of a `whsec_<base64>` secret; a secret without the prefix is taken as base64 as a whole. */
export function webhookSecretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

function hmac(secret: string, id: string, timestamp: string, body: string | Buffer): Buffer {
  return createHmac('sha256', webhookSecretKey(secret)).update(`${id}.${timestamp}.`).update(body).digest();
}

/** The `webhook-signature` value for a delivery: one `v1,<base64>` entry per secret, space-separated. */
export function signStandardWebhook(
  secrets: string | readonly string[],
  id: string,
  timestampSec: number,
  body: string | Buffer,
): string {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  const t = String(Math.floor(timestampSec));
  return list.map((s) => `v1,${hmac(s, id, t, body).toString('base64')}`).join(' ');
}

export interface StandardWebhookHeaders {
  readonly id: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

export type StandardWebhookCheck =
  | { readonly valid: true; readonly id: string; readonly timestamp: number }
  | {
      readonly valid: false;
      readonly reason: 'missing_header' | 'invalid_timestamp' | 'timestamp_out_of_tolerance' | 'no_matching_signature';
    };

/** Checks a delivery against every secret; says why it fails. `body` is the raw body, exactly as received. */
export function verifyStandardWebhook(
  secrets: readonly string[],
  headers: StandardWebhookHeaders,
  body: string | Buffer,
  toleranceS: number = DEFAULT_WEBHOOK_TOLERANCE_S,
  nowSec: number = Date.now() / 1000,
): StandardWebhookCheck {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { valid: false, reason: 'missing_header' };
  if (!/^\d{1,12}$/.test(timestamp)) return { valid: false, reason: 'invalid_timestamp' };
  const t = Number(timestamp);
  if (Math.abs(nowSec - t) > toleranceS) return { valid: false, reason: 'timestamp_out_of_tolerance' };
  const given: Buffer[] = [];
  for (const entry of signature.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma <= 0 || entry.slice(0, comma) !== 'v1') continue;
    const sig = Buffer.from(entry.slice(comma + 1), 'base64');
    if (sig.length === 32) given.push(sig);
  }
  for (const secret of secrets) {
    const expected = hmac(secret, id, timestamp, body);
    if (given.some((g) => timingSafeEqual(g, expected))) return { valid: true, id, timestamp: t };
  }
  return { valid: false, reason: 'no_matching_signature' };
}
