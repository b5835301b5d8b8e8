import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SIP_CALL_ID_HEADER } from '../config/openai-sip-route.js';
import type { OpenAiSipWebhookSettings } from '../calls/openai-sip-setup.js';
import { AppError } from '../errors/app-error.js';
import type { Logger } from '../observability/logger.js';
import { parseWebhookEvent, sipHeaderValue } from '../protocols/openai-sip/incoming-call.js';
import {
  verifyStandardWebhook,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from '../protocols/openai-sip/standard-webhooks.js';
import type { WebhookDeliveryIds } from './webhook-delivery-ids.js';

export const OPENAI_SIP_WEBHOOK_PATH = '/v1/openai/sip/webhook';

/** SIP status for an incoming call that is none of ours (no or unknown `X-Ava-Call-Id`). */
export const UNKNOWN_CALL_SIP_STATUS = 404;

/** Secrets (every openai-sip route's, several while rotating), tolerance, waiting calls, and a reject of unknown calls. */
export interface OpenAiSipWebhookOptions extends OpenAiSipWebhookSettings {
  deliveryIds(): WebhookDeliveryIds;
  readonly logger: Logger;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The provider's incoming-call webhook (`POST /v1/openai/sip/webhook`, no bearer token: the Standard Webhooks
 * signature authenticates it). Verified on the raw body; a repeated `webhook-id` is answered 200 and not acted on;
 * `realtime.call.incoming` / `live.transport.incoming` is matched to a waiting SIP-path call by its `X-Ava-Call-Id`
 * SIP header and accepted with that call's route session, or declined (404) when it is none of ours.
 */
export function registerOpenAiSipWebhook(fastify: FastifyInstance, o: OpenAiSipWebhookOptions): void {
  const log = o.logger.child({ component: 'openai-sip-webhook' });
  void fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post(OPENAI_SIP_WEBHOOK_PATH, async (req, reply) => {
      const body = typeof req.body === 'string' ? req.body : '';
      const check = verifyStandardWebhook(
        o.secrets,
        {
          id: header(req, WEBHOOK_ID_HEADER),
          timestamp: header(req, WEBHOOK_TIMESTAMP_HEADER),
          signature: header(req, WEBHOOK_SIGNATURE_HEADER),
        },
        body,
        o.toleranceS,
      );
      if (!check.valid) {
        log.warn({ reason: check.reason, webhookId: header(req, WEBHOOK_ID_HEADER) }, 'webhook refused: bad signature');
        return reply
          .code(401)
          .send({ error: { code: 'WEBHOOK_SIGNATURE_INVALID', message: `webhook not verified: ${check.reason}` } });
      }
      const ids = o.deliveryIds();
      if (!(await ids.claim(check.id))) {
        log.info({ webhookId: check.id }, 'webhook delivered again; already handled');
        return reply.code(200).send({ status: 'duplicate' });
      }
      const event = parseWebhookEvent(body);
      if (event.kind === 'invalid') {
        log.warn({ webhookId: check.id, detail: event.message }, 'webhook refused: unreadable event');
        return reply.code(400).send({ error: { code: 'WEBHOOK_EVENT_INVALID', message: event.message } });
      }
      if (event.kind === 'other') return reply.code(200).send({ status: 'ignored', type: event.type });
      const { providerCallId } = event.call;
      const callId = sipHeaderValue(event.call, SIP_CALL_ID_HEADER);
      const pending = callId !== undefined ? o.calls.get(callId) : undefined;
      if (!pending) {
        log.warn({ providerCallId, callId: callId ?? null }, 'incoming SIP call matches no waiting call; rejecting');
        await o
          .reject(providerCallId, UNKNOWN_CALL_SIP_STATUS)
          .catch((err: unknown) => log.warn({ err, providerCallId }, 'rejecting the unknown SIP call failed'));
        return reply.code(200).send({ status: 'rejected', sipStatus: UNKNOWN_CALL_SIP_STATUS });
      }
      try {
        await pending.incoming(providerCallId);
      } catch (err) {
        // Not handled: the provider's retry of this delivery may succeed while the call still waits.
        await ids.release(check.id).catch(() => undefined);
        const code = err instanceof AppError ? err.code : 'SIP_ACCEPT_FAILED';
        log.warn({ err, callId, providerCallId, code }, 'accepting the SIP call failed');
        return reply.code(502).send({ error: { code, message: err instanceof Error ? err.message : String(err) } });
      }
      o.calls.take(pending.callId);
      return reply.code(200).send({ status: 'accepted', callId });
    });
  });
}
