import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAiSipCalls } from '../../../src/calls/openai-sip-calls.js';
import { AppError } from '../../../src/errors/app-error.js';
import { OPENAI_SIP_WEBHOOK_PATH, registerOpenAiSipWebhook } from '../../../src/http/openai-sip-webhook.js';
import { memoryDeliveryIds } from '../../../src/http/webhook-delivery-ids.js';
import { createLogger } from '../../../src/observability/logger.js';
import { signStandardWebhook } from '../../../src/protocols/openai-sip/standard-webhooks.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function setup() {
  const fastify = Fastify();
  const calls = new OpenAiSipCalls();
  const rejected: Array<[string, number]> = [];
  registerOpenAiSipWebhook(fastify, {
    calls,
    secrets: [SECRET],
    toleranceS: 300,
    reject: async (id, status) => {
      rejected.push([id, status]);
    },
    deliveryIds: (() => {
      const ids = memoryDeliveryIds(600_000);
      return () => ids;
    })(),
    logger: createLogger({ level: 'silent', pretty: false }),
  });
  const post = (body: string, id = `wh_${Math.random().toString(36).slice(2)}`, secret = SECRET) => {
    const t = Math.floor(Date.now() / 1000);
    return fastify.inject({
      method: 'POST',
      url: OPENAI_SIP_WEBHOOK_PATH,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(t),
        'webhook-signature': signStandardWebhook(secret, id, t, body),
      },
      payload: body,
    });
  };
  return { fastify, calls, rejected, post };
}

const incoming = (type: string, data: Record<string, unknown>) =>
  JSON.stringify({ object: 'event', id: 'evt_1', type, created_at: 1, data });

describe('openai-sip webhook endpoint', () => {
  let s: ReturnType<typeof setup> | undefined;
  afterEach(async () => {
    await s?.fastify.close();
  });

  it('verifies the raw body: missing headers and a wrong secret get 401, a signed non-event 400', async () => {
    s = setup();
    const noHeaders = await s.fastify.inject({ method: 'POST', url: OPENAI_SIP_WEBHOOK_PATH, payload: '{}' });
    expect(noHeaders.statusCode).toBe(401);
    const wrong = await s.post(incoming('realtime.call.incoming', { call_id: 'rtc_1' }), undefined, 'whsec_b3RoZXI=');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const notJson = await s.post('not json');
    expect(notJson.statusCode).toBe(400);
    const other = await s.post(JSON.stringify({ type: 'response.completed', data: {} }));
    expect(other.json()).toEqual({ status: 'ignored', type: 'response.completed' });
  });

  it('accepts live.transport.incoming by session_id; a failed accept is 502 and its retry is handled again', async () => {
    s = setup();
    const seen: string[] = [];
    let fail = true;
    s.calls.expect({
      callId: 'c-1',
      route: 'r',
      incoming: async (providerCallId) => {
        seen.push(providerCallId);
        if (fail) throw new AppError('accept refused', { code: 'REALTIME_CALLS_REFUSED', category: 'server' });
      },
    });
    const body = incoming('live.transport.incoming', {
      session_id: 'sess_9',
      sip_headers: [{ name: 'x-ava-call-id', value: 'c-1' }],
    });
    const first = await s.post(body, 'wh_same');
    expect(first.statusCode).toBe(502);
    fail = false;
    const retry = await s.post(body, 'wh_same');
    expect(retry.json()).toEqual({ status: 'accepted', callId: 'c-1' });
    expect(seen).toEqual(['sess_9', 'sess_9']);
    // Handled: the same delivery again is a duplicate; the call is no longer waiting.
    expect((await s.post(body, 'wh_same')).json()).toEqual({ status: 'duplicate' });
    expect(s.calls.get('c-1')).toBeUndefined();
    expect(s.rejected).toEqual([]);
  });

  it('rejects with SIP 404 an incoming call with no or an unknown X-Ava-Call-Id', async () => {
    s = setup();
    await s.post(incoming('realtime.call.incoming', { call_id: 'rtc_a', sip_headers: [] }));
    await s.post(
      incoming('realtime.call.incoming', { call_id: 'rtc_b', sip_headers: [{ name: 'X-Ava-Call-Id', value: 'nope' }] }),
    );
    expect(s.rejected).toEqual([
      ['rtc_a', 404],
      ['rtc_b', 404],
    ]);
  });
});
