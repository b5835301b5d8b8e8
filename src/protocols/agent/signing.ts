import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Request signing for the adapter's WebSocket connection to an agent.
 *
 * The adapter sends `X-Ava-Timestamp: <unix seconds>`, `X-Ava-Call-Id: <callId>` and
 * `X-Ava-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<url>")>`, where `<url>` is the normalised full URL it
 * connects to (`new URL(url).href`: scheme, host, port when not the default, path, query). The agent rebuilds the
 * URL from its side of the request, recomputes the HMAC and compares in constant time, and refuses timestamps
 * outside its tolerance so captured requests cannot be replayed later.
 */

export const AGENT_TIMESTAMP_HEADER = 'X-Ava-Timestamp';
export const AGENT_SIGNATURE_HEADER = 'X-Ava-Signature';
export const AGENT_CALL_ID_HEADER = 'X-Ava-Call-Id';

/** Signature scheme prefix; a later scheme gets a new prefix and both may be sent side by side. */
export const AGENT_SIGNATURE_SCHEME = 'v1';

/** Default accepted clock difference between adapter and agent. */
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

/** The signed request headers (a type alias, so it is usable wherever a header record is expected). */
export type AgentRequestHeaders = {
  readonly 'X-Ava-Timestamp': string;
  readonly 'X-Ava-Signature': string;
  readonly 'X-Ava-Call-Id': string;
};

export interface SignAgentRequestOptions {
  readonly secret: string;
  readonly url: string;
  readonly callId: string;
  /** Signing time in ms since the epoch; defaults to now. */
  readonly nowMs?: number;
}

/** The normalised form of a URL that is signed: `new URL(url).href`. Throws on an invalid URL. */
export function canonicalAgentUrl(url: string): string {
  return new URL(url).href;
}

/** Hex HMAC-SHA256 of `"<timestamp>.<canonical url>"`. */
export function computeAgentSignature(secret: string, timestampSec: string, url: string): string {
  return createHmac('sha256', secret)
    .update(`${timestampSec}.${canonicalAgentUrl(url)}`)
    .digest('hex');
}

/** Headers that authenticate the adapter's connection to `url`. */
export function signAgentRequest(options: SignAgentRequestOptions): AgentRequestHeaders {
  const timestamp = String(Math.floor((options.nowMs ?? Date.now()) / 1000));
  const signature = computeAgentSignature(options.secret, timestamp, options.url);
  return {
    [AGENT_TIMESTAMP_HEADER]: timestamp,
    [AGENT_SIGNATURE_HEADER]: `${AGENT_SIGNATURE_SCHEME}=${signature}`,
    [AGENT_CALL_ID_HEADER]: options.callId,
  };
}

/** HTTP request headers as Node (lower-case keys) or any other case gives them. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export type VerifyAgentRequestFailure =
  | 'missing_timestamp'
  | 'missing_signature'
  | 'malformed_timestamp'
  | 'malformed_signature'
  | 'stale_timestamp'
  | 'invalid_url'
  | 'signature_mismatch';

export type VerifyAgentRequestResult =
  | { readonly ok: true; readonly timestampSec: number; readonly callId: string | undefined }
  | { readonly ok: false; readonly reason: VerifyAgentRequestFailure };

/**
 * Checks a signed request as an agent receives it. `secret` may list several secrets (rotation): any match passes.
 * `url` is the full URL as the agent sees it, e.g. `ws://${req.headers.host}${req.url}`. The signature header may
 * carry several comma-separated `scheme=hex` entries; any `v1` entry that matches passes. Never throws.
 */
export function verifyAgentRequest(
  secret: string | readonly string[],
  url: string,
  headers: RequestHeaders,
  toleranceSec: number = DEFAULT_SIGNATURE_TOLERANCE_SEC,
  nowMs: number = Date.now(),
): VerifyAgentRequestResult {
  const timestamp = header(headers, AGENT_TIMESTAMP_HEADER);
  if (timestamp === undefined) return { ok: false, reason: 'missing_timestamp' };
  const signatureHeader = header(headers, AGENT_SIGNATURE_HEADER);
  if (signatureHeader === undefined) return { ok: false, reason: 'missing_signature' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed_timestamp' };
  const candidates = signatureHeader
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${AGENT_SIGNATURE_SCHEME}=`))
    .map((part) => part.slice(AGENT_SIGNATURE_SCHEME.length + 1))
    .filter((hex) => /^[0-9a-f]{64}$/i.test(hex))
    .map((hex) => Buffer.from(hex, 'hex'));
  if (candidates.length === 0) return { ok: false, reason: 'malformed_signature' };
  const timestampSec = Number(timestamp);
  if (Math.abs(nowMs / 1000 - timestampSec) > toleranceSec) return { ok: false, reason: 'stale_timestamp' };
  let canonical: string;
  try {
    canonical = canonicalAgentUrl(url);
  } catch {
    return { ok: false, reason: 'invalid_url' };
  }
  const secrets = typeof secret === 'string' ? [secret] : secret;
  let matched = false;
  for (const s of secrets) {
    const expected = Buffer.from(computeAgentSignature(s, timestamp, canonical), 'hex');
    for (const candidate of candidates) {
      // Every pair is compared so the time taken does not depend on which one matches.
      if (timingSafeEqual(expected, candidate)) matched = true;
    }
  }
  if (!matched) return { ok: false, reason: 'signature_mismatch' };
  return { ok: true, timestampSec, callId: header(headers, AGENT_CALL_ID_HEADER) };
}

/** Case-insensitive single header value; the first one when repeated. */
function header(headers: RequestHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    const first = typeof value === 'string' ? value : value[0];
    return first === undefined ? undefined : first.trim();
  }
  return undefined;
}
