import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { JobLayerTuningInput } from '../../../src/jobs/job-layer.js';
import type { Logger } from '../../../src/observability/logger.js';

/** The shared Redis the integration tier runs against (DESIGN §7). */
export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A fresh key prefix per test, so queues and keys never meet another test's. */
export function randomPrefix(): string {
  return `t-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key under a prefix. Fails loudly when Redis is unreachable. */
export async function cleanRedis(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** A logger that prints nothing unless TEST_LOG_LEVEL asks for it. */
export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));
}

/** Job layer settings that notice dead workers and retry quickly, for tests. */
export const FAST_TUNING: JobLayerTuningInput = {
  controlWorker: { lockDurationMs: 2000, stalledIntervalMs: 1000 },
  eventWorker: { lockDurationMs: 5000, stalledIntervalMs: 2000 },
  toolWorker: { lockDurationMs: 2000, stalledIntervalMs: 1000 },
  ownershipTtlMs: 5000,
  dbRetry: { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0, maxAttempts: 200 },
  webhookRetry: { initialDelayMs: 200, maxDelayMs: 200, multiplier: 1, jitter: 0, maxAttempts: 4 },
  webhookTimeoutMs: 3000,
  toolJobRetry: { initialDelayMs: 200, maxDelayMs: 200, multiplier: 1, jitter: 0, maxAttempts: 5 },
  controlTimeoutMs: 10_000,
};
