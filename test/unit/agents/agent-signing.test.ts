import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AGENT_SIGNATURE_HEADER,
  AGENT_TIMESTAMP_HEADER,
  signAgentRequest,
  verifyAgentRequest,
} from '../../../src/protocols/agent/signing.js';

const SECRET = 'test-secret-1';
const AGENT_URL = 'ws://127.0.0.1:8081/agent?route=sales';
const NOW = 1_760_000_000_000;

/** Headers as Node's http server presents them: lower-case keys. */
function asReceived(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

describe('agent request signing', () => {
  it('signs "<timestamp>.<url>" with HMAC-SHA256 in the documented header format', () => {
    const headers = signAgentRequest({ secret: SECRET, url: AGENT_URL, callId: 'call-1', nowMs: NOW });
    const ts = String(NOW / 1000);
    expect(headers).toEqual({
      'X-Ava-Timestamp': ts,
      'X-Ava-Signature': `v1=${createHmac('sha256', SECRET).update(`${ts}.${AGENT_URL}`).digest('hex')}`,
      'X-Ava-Call-Id': 'call-1',
    });
  });

  it('accepts a valid signature, case-insensitively, and reports the call id', () => {
    const headers = signAgentRequest({ secret: SECRET, url: AGENT_URL, callId: 'call-1', nowMs: NOW });
    expect(verifyAgentRequest(SECRET, AGENT_URL, asReceived(headers), 300, NOW + 5_000)).toEqual({
      ok: true,
      timestampSec: NOW / 1000,
      callId: 'call-1',
    });
    expect(verifyAgentRequest(SECRET, AGENT_URL, headers, 300, NOW).ok).toBe(true);
  });

  it('treats equivalent spellings of the AGENT_URL alike (default port, empty path)', () => {
    const headers = signAgentRequest({ secret: SECRET, url: 'ws://example.com:80', callId: 'c', nowMs: NOW });
    expect(verifyAgentRequest(SECRET, 'ws://example.com/', asReceived(headers), 300, NOW).ok).toBe(true);
  });

  it('rejects a tampered AGENT_URL, signature or secret', () => {
    const headers = asReceived(signAgentRequest({ secret: SECRET, url: AGENT_URL, callId: 'c', nowMs: NOW }));
    expect(verifyAgentRequest(SECRET, 'ws://127.0.0.1:8081/agent?route=admin', headers, 300, NOW)).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verifyAgentRequest('other-secret', AGENT_URL, headers, 300, NOW)).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    const sig = headers['x-ava-signature']!;
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`;
    expect(verifyAgentRequest(SECRET, AGENT_URL, { ...headers, 'x-ava-signature': flipped }, 300, NOW)).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    // A timestamp changed after signing no longer matches the signature.
    expect(
      verifyAgentRequest(SECRET, AGENT_URL, { ...headers, 'x-ava-timestamp': String(NOW / 1000 + 1) }, 300, NOW),
    ).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects stale and future timestamps outside the tolerance', () => {
    const headers = asReceived(signAgentRequest({ secret: SECRET, url: AGENT_URL, callId: 'c', nowMs: NOW }));
    expect(verifyAgentRequest(SECRET, AGENT_URL, headers, 300, NOW + 301_000)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verifyAgentRequest(SECRET, AGENT_URL, headers, 300, NOW - 301_000)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verifyAgentRequest(SECRET, AGENT_URL, headers, 300, NOW + 299_000).ok).toBe(true);
  });

  it('rejects missing and malformed headers', () => {
    const headers = asReceived(signAgentRequest({ secret: SECRET, url: AGENT_URL, callId: 'c', nowMs: NOW }));
    const { 'x-ava-timestamp': _t, ...noTimestamp } = headers;
    const { 'x-ava-signature': _s, ...noSignature } = headers;
    expect(verifyAgentRequest(SECRET, AGENT_URL, noTimestamp, 300, NOW)).toEqual({
      ok: false,
      reason: 'missing_timestamp',
    });
    expect(verifyAgentRequest(SECRET, AGENT_URL, noSignature, 300, NOW)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
    expect(verifyAgentRequest(SECRET, AGENT_URL, { ...headers, 'x-ava-timestamp': 'soon' }, 300, NOW)).toEqual({
      ok: false,
      reason: 'malformed_timestamp',
    });
    expect(verifyAgentRequest(SECRET, AGENT_URL, { ...headers, 'x-ava-signature': 'v1=xyz' }, 300, NOW)).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
    expect(
      verifyAgentRequest(
        SECRET,
        AGENT_URL,
        { ...headers, 'x-ava-signature': headers['x-ava-signature']!.replace('v1', 'v0') },
        300,
        NOW,
      ),
    ).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('supports secret rotation and several signatures in one header', () => {
    const oldHeaders = asReceived(signAgentRequest({ secret: 'old', url: AGENT_URL, callId: 'c', nowMs: NOW }));
    const newHeaders = asReceived(signAgentRequest({ secret: 'new', url: AGENT_URL, callId: 'c', nowMs: NOW }));
    expect(verifyAgentRequest(['new', 'old'], AGENT_URL, oldHeaders, 300, NOW).ok).toBe(true);
    const both = {
      ...newHeaders,
      [AGENT_SIGNATURE_HEADER.toLowerCase()]: `${oldHeaders['x-ava-signature']}, ${newHeaders['x-ava-signature']}`,
    };
    expect(verifyAgentRequest('new', AGENT_URL, both, 300, NOW).ok).toBe(true);
    expect(verifyAgentRequest('neither', AGENT_URL, both, 300, NOW).ok).toBe(false);
    expect(AGENT_TIMESTAMP_HEADER).toBe('X-Ava-Timestamp');
  });
});
