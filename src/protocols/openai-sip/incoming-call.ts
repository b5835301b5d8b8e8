import { z } from 'zod';

/**
 * The incoming-call webhook event of the Realtime SIP interface. Two names exist: `realtime.call.incoming`
 * (`data.call_id`, used with `/v1/realtime/calls/{call_id}/…`) and the newer `live.transport.incoming`
 * (`data.session_id`). `data.sip_headers` lists the INVITE's headers as `{name, value}` in order.
 */
export const INCOMING_CALL_EVENT_TYPES = ['realtime.call.incoming', 'live.transport.incoming'] as const;

const sipHeader = z.looseObject({ name: z.string(), value: z.string() });

const eventSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string(),
  created_at: z.number().optional(),
  data: z
    .looseObject({
      call_id: z.string().min(1).optional(),
      session_id: z.string().min(1).optional(),
      sip_headers: z.array(sipHeader).default([]),
    })
    .optional(),
});

export interface IncomingSipCall {
  readonly type: (typeof INCOMING_CALL_EVENT_TYPES)[number];
  /** The provider's id of the pending call (`call_id`, or `session_id` in the newer naming). */
  readonly providerCallId: string;
  readonly sipHeaders: readonly { readonly name: string; readonly value: string }[];
}

export type ParsedWebhookEvent =
  | { readonly kind: 'incoming_call'; readonly call: IncomingSipCall }
  /** Another event type of the project (not ours to act on). */
  | { readonly kind: 'other'; readonly type: string }
  | { readonly kind: 'invalid'; readonly message: string };

/** Parses a verified webhook body. */
export function parseWebhookEvent(body: string): ParsedWebhookEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { kind: 'invalid', message: `body is not JSON: ${(err as Error).message}` };
  }
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) return { kind: 'invalid', message: 'not a webhook event (type missing)' };
  const ev = parsed.data;
  const type = INCOMING_CALL_EVENT_TYPES.find((t) => t === ev.type);
  if (type === undefined) return { kind: 'other', type: ev.type };
  const providerCallId = ev.data?.call_id ?? ev.data?.session_id;
  if (providerCallId === undefined) return { kind: 'invalid', message: `${type} without data.call_id` };
  return { kind: 'incoming_call', call: { type, providerCallId, sipHeaders: ev.data?.sip_headers ?? [] } };
}

/** The value of a SIP header (names compare case-insensitively), first occurrence. */
export function sipHeaderValue(call: IncomingSipCall, name: string): string | undefined {
  const lower = name.toLowerCase();
  return call.sipHeaders.find((h) => h.name.toLowerCase() === lower)?.value.trim();
}
