import { describe, expect, it } from 'vitest';
import { parseWebhookEvent, sipHeaderValue } from '../../../src/protocols/openai-sip/incoming-call.js';
import { signStandardWebhook, verifyStandardWebhook } from '../../../src/protocols/openai-sip/standard-webhooks.js';

// The Standard Webhooks specification's published example.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const OTHER = 'whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==';

const headers = (signature: string, timestamp = String(SPEC.timestamp), id = SPEC.id) => ({ id, timestamp, signature });

describe('Standard Webhooks signatures', () => {
  it('signs the specification example to its published signature', () => {
    expect(signStandardWebhook(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)).toBe(SPEC.signature);
  });

  it('verifies the specification example, and refuses a changed body, id or secret', () => {
    const now = SPEC.timestamp + 10;
    expect(verifyStandardWebhook([SPEC.secret], headers(SPEC.signature), SPEC.body, 300, now)).toEqual({
      valid: true,
      id: SPEC.id,
      timestamp: SPEC.timestamp,
    });
    const refused = { valid: false, reason: 'no_matching_signature' };
    expect(verifyStandardWebhook([SPEC.secret], headers(SPEC.signature), `${SPEC.body} `, 300, now)).toEqual(refused);
    expect(
      verifyStandardWebhook([SPEC.secret], headers(SPEC.signature, undefined, 'msg_x'), SPEC.body, 300, now),
    ).toEqual(refused);
    expect(verifyStandardWebhook([OTHER], headers(SPEC.signature), SPEC.body, 300, now)).toEqual(refused);
  });

  it('accepts any of several secrets (rotation) and any of several signatures', () => {
    const now = SPEC.timestamp;
    expect(verifyStandardWebhook([OTHER, SPEC.secret], headers(SPEC.signature), SPEC.body, 300, now).valid).toBe(true);
    const both = signStandardWebhook([OTHER, SPEC.secret], SPEC.id, SPEC.timestamp, SPEC.body);
    expect(both.split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook([SPEC.secret], headers(both), SPEC.body, 300, now).valid).toBe(true);
    expect(verifyStandardWebhook([SPEC.secret], headers(`v1,AAAA ${SPEC.signature}`), SPEC.body, 300, now).valid).toBe(
      true,
    );
    // Another scheme's entry does not count.
    expect(
      verifyStandardWebhook([SPEC.secret], headers(SPEC.signature.replace('v1,', 'v2,')), SPEC.body, 300, now),
    ).toEqual({
      valid: false,
      reason: 'no_matching_signature',
    });
  });

  it('refuses a timestamp outside the tolerance, a malformed one, and missing headers', () => {
    expect(verifyStandardWebhook([SPEC.secret], headers(SPEC.signature), SPEC.body, 300, SPEC.timestamp + 301)).toEqual(
      {
        valid: false,
        reason: 'timestamp_out_of_tolerance',
      },
    );
    expect(
      verifyStandardWebhook([SPEC.secret], headers(SPEC.signature), SPEC.body, 300, SPEC.timestamp - 301).valid,
    ).toBe(false);
    expect(verifyStandardWebhook([SPEC.secret], headers(SPEC.signature, '16142x'), SPEC.body, 300, 0)).toEqual({
      valid: false,
      reason: 'invalid_timestamp',
    });
    expect(
      verifyStandardWebhook([SPEC.secret], { id: SPEC.id, timestamp: undefined, signature: SPEC.signature }, SPEC.body),
    ).toEqual({ valid: false, reason: 'missing_header' });
  });
});

describe('incoming-call webhook events', () => {
  const headersList = [
    { name: 'From', value: '<sip:+4930111@pbx.example.com>' },
    { name: 'x-ava-call-id', value: ' 3f2b6c1e-0000-4000-8000-000000000001 ' },
  ];

  it('reads realtime.call.incoming (call_id) and live.transport.incoming (session_id)', () => {
    const a = parseWebhookEvent(
      JSON.stringify({ type: 'realtime.call.incoming', data: { call_id: 'rtc_1', sip_headers: headersList } }),
    );
    expect(a).toMatchObject({
      kind: 'incoming_call',
      call: { type: 'realtime.call.incoming', providerCallId: 'rtc_1' },
    });
    const b = parseWebhookEvent(
      JSON.stringify({ type: 'live.transport.incoming', data: { session_id: 'sess_1', sip_headers: headersList } }),
    );
    expect(b).toMatchObject({
      kind: 'incoming_call',
      call: { type: 'live.transport.incoming', providerCallId: 'sess_1' },
    });
    if (a.kind !== 'incoming_call') throw new Error('not parsed');
    // Header names compare case-insensitively; the value is trimmed.
    expect(sipHeaderValue(a.call, 'X-Ava-Call-Id')).toBe('3f2b6c1e-0000-4000-8000-000000000001');
  });

  it('tells other events and unreadable bodies apart', () => {
    expect(parseWebhookEvent(JSON.stringify({ type: 'response.completed', data: {} }))).toEqual({
      kind: 'other',
      type: 'response.completed',
    });
    expect(parseWebhookEvent('{not json').kind).toBe('invalid');
    expect(parseWebhookEvent(JSON.stringify({ type: 'realtime.call.incoming', data: {} })).kind).toBe('invalid');
  });
});
