import { z } from 'zod';

/** An ARI media URI played to the person a call is handed to (`sound:…`, `recording:…`). */
export const transferPromptSchema = z.array(z.string().min(1).max(512)).min(1).max(16);

/**
 * How a route's warm transfers run (route `transfer.warm`): the adapter dials the person, tells them about the
 * caller, then bridges the two and leaves. Every field has a default.
 */
export const warmTransferRouteSchema = z
  .object({
    /**
     * What the caller hears while the person is dialled: `agent` (default) stays with the agent; `moh` hears music
     * on hold. Either way the caller hears music on hold while the person hears the summary.
     */
    hold: z.enum(['agent', 'moh']).default('agent'),
    /** Asterisk music-on-hold class (`musiconhold.conf`). */
    mohClass: z.string().min(1).max(80).default('default'),
    /** How long the person's phone rings before the transfer fails as `no_answer`. */
    ringTimeoutSec: z.number().int().min(5).max(300).default(30),
    /** The key the person presses to decline while hearing the summary; the caller goes back to the agent. */
    declineDigit: z
      .string()
      .regex(/^[0-9A-Da-d*#]$/, 'one DTMF key: 0-9, A-D, * or #')
      .default('*'),
    /** Media played to the person when a transfer names neither a prompt nor a summary the agent can speak. */
    prompt: transferPromptSchema.optional(),
    /** Longest the summary (spoken or played) may take; then the two are bridged anyway. */
    summaryTimeoutMs: z.number().int().min(1000).max(120_000).default(30_000),
    /** Caller id presented to the person (`"Name" <number>`); Asterisk's default when absent. */
    callerId: z.string().min(1).max(128).optional(),
  })
  .strict();

export const routeTransferSchema = z.object({ warm: warmTransferRouteSchema.prefault({}) }).strict();

export type WarmTransferRouteOptions = z.output<typeof warmTransferRouteSchema>;

/** The warm-transfer options of a route, defaulted when the route names none. */
export function warmTransferOptionsOf(route: {
  readonly transfer?: { readonly warm: WarmTransferRouteOptions } | undefined;
}): WarmTransferRouteOptions {
  return route.transfer?.warm ?? warmTransferRouteSchema.parse({});
}
