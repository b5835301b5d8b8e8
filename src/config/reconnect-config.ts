import { z } from 'zod';

/** A route's reconnect settings after parsing: the knobs of the shared retry policy (README "Retry policy"). */
export interface ReconnectConfig {
  /** Attempts in total, the first included; 0 retries without limit. */
  readonly maxAttempts: number;
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The `reconnect` object of an agent in the routes file, with this agent kind's defaults. `maxAttempts` counts
 * attempts in total like every retry policy of the adapter; the older `attempts` (retries after the first try) is
 * still accepted and means `maxAttempts = attempts + 1`. Giving both is an error.
 */
export function reconnectConfigSchema(defaults: ReconnectConfig) {
  return z
    .object({
      maxAttempts: z.number().int().min(0).max(100).optional(),
      /** Deprecated: retries after the first try (`maxAttempts - 1`). */
      attempts: z.number().int().min(0).max(99).optional(),
      initialMs: z.number().int().min(10).max(60_000).default(defaults.initialMs),
      maxMs: z.number().int().min(10).max(120_000).default(defaults.maxMs),
    })
    .strict()
    .refine((r) => r.maxAttempts === undefined || r.attempts === undefined, {
      message: 'give maxAttempts (attempts in total) or the older attempts (retries), not both',
      path: ['attempts'],
    })
    .transform(
      (r): ReconnectConfig => ({
        maxAttempts: r.maxAttempts ?? (r.attempts === undefined ? defaults.maxAttempts : r.attempts + 1),
        initialMs: r.initialMs,
        maxMs: r.maxMs,
      }),
    )
    .default(defaults);
}
