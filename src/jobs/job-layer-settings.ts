import type { Config } from '../config/load-config.js';
import type { JobLayerOptions } from './job-layer.js';
import { staticWebhookResolver } from './webhook-endpoints.js';

/** The job layer's options that come straight from the configuration (JOBS_*, HTTP tools, webhooks). */
export type JobLayerSettings = Pick<
  JobLayerOptions,
  'redis' | 'prefix' | 'instanceId' | 'tools' | 'webhooks' | 'tuning'
>;

/** Maps the loaded configuration onto the job layer's options. */
export function jobLayerSettingsOf(
  config: Pick<Config, 'instanceId' | 'httpTools' | 'webhooks'>,
  j: NonNullable<Config['jobs']>,
): JobLayerSettings {
  return {
    redis: j.redisUrl,
    prefix: j.prefix,
    instanceId: config.instanceId,
    tools: config.httpTools.map((t) => ({
      name: t.name,
      url: t.url,
      secret: t.secret,
      ...(t.timeoutMs ? { timeoutMs: t.timeoutMs } : {}),
      ...(t.idempotent !== undefined ? { idempotent: t.idempotent } : {}),
    })),
    webhooks: staticWebhookResolver({
      all: config.webhooks.all.map((w) => ({ ...w, events: w.events ? [...w.events] : undefined })),
      byRoute: Object.fromEntries(
        Object.entries(config.webhooks.byRoute).map(([k, list]) => [
          k,
          list.map((w) => ({ ...w, events: w.events ? [...w.events] : undefined })),
        ]),
      ),
    }),
    tuning: {
      controlTimeoutMs: j.controlTimeoutMs,
      ownershipTtlMs: j.ownershipTtlMs,
      orphanSweepIntervalMs: j.orphanSweepIntervalMs,
      controlWorker: { stalledIntervalMs: j.stalledIntervalMs },
      eventWorker: { stalledIntervalMs: j.stalledIntervalMs },
      webhookWorker: { stalledIntervalMs: j.stalledIntervalMs },
      toolWorker: { stalledIntervalMs: j.stalledIntervalMs },
      toolResultWorker: { stalledIntervalMs: j.stalledIntervalMs },
    },
  };
}
