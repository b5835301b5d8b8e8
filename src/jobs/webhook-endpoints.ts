import { createHash } from 'node:crypto';
import { z } from 'zod';

/** A URL that receives a route's lifecycle events, the secret that signs them, and optionally which types. */
export const webhookEndpointSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    secret: z.string().min(16, 'use a secret of at least 16 characters'),
    /** Event types to send (e.g. `call.ended`); all when absent. */
    events: z.array(z.string().min(1).max(64)).optional(),
    timeoutMs: z.number().int().min(100).max(60_000).optional(),
  })
  .strict();
export type WebhookEndpoint = z.output<typeof webhookEndpointSchema>;

/**
 * Which endpoints receive a call's events, by the call's route (null when the call has no stored route). Called
 * when an event is stored and again at each delivery attempt (to find the secret), so configuration changes apply
 * to retries.
 */
export type WebhookResolver = (route: string | null) => readonly WebhookEndpoint[];

/** Stable key of an endpoint (sha256 hex of its URL), stored with each delivery. */
export function webhookEndpointKey(url: string): string {
  return createHash('sha256').update(url).digest('hex');
}

/** Whether an endpoint wants an event type. */
export function endpointWants(endpoint: WebhookEndpoint, type: string): boolean {
  return !endpoint.events || endpoint.events.includes(type);
}

/** A resolver from a fixed table: per-route endpoints plus endpoints for every call (`all`). */
export function staticWebhookResolver(table: {
  all?: readonly WebhookEndpoint[];
  byRoute?: Readonly<Record<string, readonly WebhookEndpoint[]>>;
}): WebhookResolver {
  const all = (table.all ?? []).map((e) => webhookEndpointSchema.parse(e));
  const byRoute = new Map(
    Object.entries(table.byRoute ?? {}).map(([route, list]) => [
      route,
      list.map((e) => webhookEndpointSchema.parse(e)),
    ]),
  );
  return (route) => [...all, ...(route !== null ? (byRoute.get(route) ?? []) : [])];
}
