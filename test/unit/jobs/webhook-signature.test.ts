import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkWebhookSignature,
  signWebhookPayload,
  verifyWebhookSignature,
} from '../../../src/jobs/webhook-signature.js';

const SECRET = 'whsec_unit_0123456789abcdef';
const BODY = '{"id":"e1","type":"call.ended","data":{"text":"héllo"}}';

describe('webhook signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 in the documented header format', () => {
    const header = signWebhookPayload(SECRET, BODY, 1_700_000_000);
    const hex = createHmac('sha256', SECRET).update(`1700000000.${BODY}`).digest('hex');
    expect(header).toBe(`t=1700000000,v1=${hex}`);
  });

  it('accepts a fresh signature and rejects tampering, other secrets and stale timestamps', () => {
    const now = Math.floor(Date.now() / 1000);
    const header = signWebhookPayload(SECRET, BODY, now);
    expect(verifyWebhookSignature(SECRET, header, BODY, 300)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, Buffer.from(BODY), 300)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, `${BODY} `, 300)).toBe(false);
    expect(verifyWebhookSignature('another-secret-0123456789', header, BODY, 300)).toBe(false);
    const old = signWebhookPayload(SECRET, BODY, now - 301);
    expect(checkWebhookSignature(SECRET, old, BODY, 300)).toEqual({
      valid: false,
      reason: 'timestamp_out_of_tolerance',
    });
    expect(checkWebhookSignature(SECRET, header, 'x', 300)).toEqual({ valid: false, reason: 'signature_mismatch' });
  });

  it('accepts any of several v1 signatures (secret rotation) and rejects malformed headers', () => {
    const now = 1_800_000_000;
    const good = signWebhookPayload(SECRET, BODY, now).split(',')[1];
    const header = `t=${now},v1=${'0'.repeat(64)},${good}`;
    expect(checkWebhookSignature(SECRET, header, BODY, 10, now)).toEqual({ valid: true, timestamp: now });
    for (const bad of [
      undefined,
      '',
      'garbage',
      't=abc,v1=00',
      `v1=${'a'.repeat(64)}`,
      `t=${now}`,
      `t=${now},v1=xyz`,
    ]) {
      expect(checkWebhookSignature(SECRET, bad, BODY, 10, now)).toEqual({ valid: false, reason: 'malformed' });
    }
  });
});
