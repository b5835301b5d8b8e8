import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { signStandardWebhook } from '../../protocols/openai-sip/standard-webhooks.js';
import { ConditionWaiters } from '../agents/condition-waiters.js';
import { initialSessionState, applyGaUpdate } from './sim-session-config.js';

/**
 * The SIP side of the simulated Realtime service: calls that "arrived over SIP" (a simulated Asterisk dialled the
 * project), the signed incoming-call webhook they fire, and the calls API (`POST /v1/realtime/calls/{id}/accept`,
 * `reject`, `hangup`, `refer`) with the checks the service makes (unknown call 404, accept or reject only while
 * ringing, accept body validated as a session). The sideband socket of an accepted call is served by the
 * simulator's WebSocket server (`?call_id=`).
 */
export interface SimSipCallsOptions {
  /** Where incoming-call webhooks go (the adapter's `/v1/openai/sip/webhook`). */
  readonly webhookUrl?: string;
  /** Signing secret(s) of the project's webhook (`whsec_…`); several sign with each (a rotation). */
  readonly webhookSecrets?: readonly string[];
  /** Event name: `realtime.call.incoming` (default) or the newer `live.transport.incoming`. */
  readonly eventType?: 'realtime.call.incoming' | 'live.transport.incoming';
}

export type SimSipCallState = 'ringing' | 'accepted' | 'rejected' | 'ended';

export interface SimSipCall {
  readonly id: string;
  readonly sipHeaders: readonly { name: string; value: string }[];
  state: SimSipCallState;
  /** The accept body, as received. */
  acceptBody: Record<string, unknown> | undefined;
  rejectStatus: number | undefined;
  readonly refers: string[];
  hangups: number;
  /** The Asterisk side of the call: answer the SIP leg, or end it. */
  readonly sip: { answer(): void; end(): void } | undefined;
}

export interface SimWebhookDelivery {
  readonly webhookId: string;
  readonly timestamp: number;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly status: number;
  readonly answer: string;
}

export interface SimCallsRequest {
  readonly callId: string;
  readonly action: string;
  readonly body: unknown;
  readonly status: number;
}

const CALLS_PATH = /^\/v1\/realtime\/calls\/([^/]+)\/(accept|reject|hangup|refer)$/;

export class SimSipCalls {
  readonly calls = new Map<string, SimSipCall>();
  readonly deliveries: SimWebhookDelivery[] = [];
  readonly requests: SimCallsRequest[] = [];
  readonly #o: SimSipCallsOptions;
  readonly #waiters = new ConditionWaiters();
  #webhookUrl: string | undefined;
  #secrets: readonly string[];

  constructor(options: SimSipCallsOptions = {}) {
    this.#o = options;
    this.#webhookUrl = options.webhookUrl;
    this.#secrets = options.webhookSecrets ?? [];
  }

  /** Points the webhook at another URL and/or signs with other secrets (e.g. a rotated one). */
  configureWebhook(o: { url?: string; secrets?: readonly string[] }): void {
    if (o.url !== undefined) this.#webhookUrl = o.url;
    if (o.secrets !== undefined) this.#secrets = o.secrets;
  }

  /** A SIP INVITE reached the project: the call is ringing and its webhook is sent (awaited). */
  async incoming(
    sipHeaders: readonly { name: string; value: string }[],
    sip?: SimSipCall['sip'],
  ): Promise<{ call: SimSipCall; delivery: SimWebhookDelivery | undefined }> {
    const call: SimSipCall = {
      id: `rtc_${randomUUID().replace(/-/g, '')}`,
      sipHeaders: [...sipHeaders],
      state: 'ringing',
      acceptBody: undefined,
      rejectStatus: undefined,
      refers: [],
      hangups: 0,
      sip,
    };
    this.calls.set(call.id, call);
    this.#waiters.notify();
    const type = this.#o.eventType ?? 'realtime.call.incoming';
    const event = {
      object: 'event',
      id: `evt_${randomUUID().replace(/-/g, '')}`,
      type,
      created_at: Math.floor(Date.now() / 1000),
      data:
        type === 'realtime.call.incoming'
          ? { call_id: call.id, sip_headers: call.sipHeaders }
          : { session_id: call.id, sip_headers: call.sipHeaders },
    };
    const delivery = this.#webhookUrl === undefined ? undefined : await this.deliver(JSON.stringify(event));
    return { call, delivery };
  }

  /**
   * Sends a webhook body, signed with the configured secrets (or `secrets`), under a new `webhook-id` (or `webhookId`,
   * a redelivery) and the current time (or `timestamp`).
   */
  async deliver(
    body: string,
    o: { webhookId?: string; timestamp?: number; secrets?: readonly string[] } = {},
  ): Promise<SimWebhookDelivery> {
    if (this.#webhookUrl === undefined) throw new Error('no webhook URL configured');
    const webhookId = o.webhookId ?? `wh_${randomUUID().replace(/-/g, '')}`;
    const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)',
      'webhook-id': webhookId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signStandardWebhook(o.secrets ?? this.#secrets, webhookId, timestamp, body),
    };
    return this.#post(webhookId, timestamp, body, headers);
  }

  /** Sends a delivery again, byte for byte, headers and signature included (a retry or a replay). */
  redeliver(delivery: SimWebhookDelivery): Promise<SimWebhookDelivery> {
    return this.#post(delivery.webhookId, delivery.timestamp, delivery.body, delivery.headers);
  }

  async #post(
    webhookId: string,
    timestamp: number,
    body: string,
    headers: Record<string, string>,
  ): Promise<SimWebhookDelivery> {
    if (this.#webhookUrl === undefined) throw new Error('no webhook URL configured');
    const res = await fetch(this.#webhookUrl, { method: 'POST', headers, body });
    const delivery = { webhookId, timestamp, body, headers, status: res.status, answer: await res.text() };
    this.deliveries.push(delivery);
    this.#waiters.notify();
    return delivery;
  }

  /** The service ends a call on its own (the model hung up, or a fault): a BYE towards Asterisk. */
  endCall(callId: string): boolean {
    const call = this.calls.get(callId);
    if (!call || call.state === 'ended' || call.state === 'rejected') return false;
    call.state = 'ended';
    call.sip?.end();
    this.#waiters.notify();
    return true;
  }

  /** Requests to the calls API for `callId` with `action`. */
  requestsOf(callId: string, action?: string): SimCallsRequest[] {
    return this.requests.filter((r) => r.callId === callId && (action === undefined || r.action === action));
  }

  waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    return this.#waiters.until(probe, what, timeoutMs);
  }

  /** Answers `POST /v1/realtime/calls/{id}/{action}`; false for other requests. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const m = CALLS_PATH.exec(new URL(req.url ?? '/', 'http://sim').pathname);
    if (!m || req.method !== 'POST') return false;
    const callId = decodeURIComponent(m[1] ?? '');
    const action = m[2] ?? '';
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown = {};
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        body = undefined;
      }
      const [status, answer] = this.#act(callId, action, body);
      this.requests.push({ callId, action, body, status });
      this.#waiters.notify();
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    return true;
  }

  close(): void {
    this.#waiters.close('simulator closed');
  }

  #act(callId: string, action: string, body: unknown): [number, unknown] {
    const call = this.calls.get(callId);
    if (!call) return [404, apiError('invalid_request_error', 'call_not_found', `Call ${callId} not found.`)];
    if (typeof body !== 'object' || body === null)
      return [400, apiError('invalid_request_error', 'invalid_json', 'The body is not a JSON object.')];
    const b = body as Record<string, unknown>;
    switch (action) {
      case 'accept': {
        if (call.state !== 'ringing')
          return [409, apiError('invalid_request_error', 'call_not_ringing', `Call ${callId} is ${call.state}.`)];
        const check = applyGaUpdate(initialSessionState('check', 'gpt-realtime'), b);
        if (!check.ok) return [400, apiError('invalid_request_error', check.code, check.message)];
        call.state = 'accepted';
        call.acceptBody = b;
        call.sip?.answer();
        return [200, {}];
      }
      case 'reject': {
        if (call.state !== 'ringing')
          return [409, apiError('invalid_request_error', 'call_not_ringing', `Call ${callId} is ${call.state}.`)];
        call.state = 'rejected';
        call.rejectStatus = typeof b.status_code === 'number' ? b.status_code : 603;
        call.sip?.end();
        return [200, {}];
      }
      case 'hangup':
        if (call.state === 'ended' || call.state === 'rejected')
          return [404, apiError('invalid_request_error', 'call_not_found', `Call ${callId} has ended.`)];
        call.state = 'ended';
        call.hangups += 1;
        call.sip?.end();
        return [200, {}];
      case 'refer':
        if (typeof b.target_uri !== 'string')
          return [400, apiError('invalid_request_error', 'missing_required_parameter', "Missing 'target_uri'.")];
        call.refers.push(b.target_uri);
        return [200, {}];
      default:
        return [404, apiError('invalid_request_error', 'unknown_action', action)];
    }
  }
}

function apiError(type: string, code: string, message: string): unknown {
  return { error: { type, code, message, param: null } };
}
