/**
 * A tool-call worker in a process of its own, for crash tests: the parent starts it with `node --import tsx`,
 * passes its settings as JSON in the JOBS_CHILD_CONFIG environment variable, waits for `{ type: 'ready' }` on
 * the IPC channel, and kills it with SIGKILL mid-job.
 */
import pino from 'pino';
import { createDb } from '../../src/db/create-db.js';
import { AppError } from '../../src/errors/app-error.js';
import { CallOwnership } from '../../src/jobs/call-ownership.js';
import { createRedisClient } from '../../src/jobs/redis-connection.js';
import { type HttpToolInput, ToolCatalog } from '../../src/jobs/tool-catalog.js';
import { ToolCallClaims } from '../../src/jobs/tool-call-claims.js';
import { ToolCallWorker } from '../../src/jobs/tool-call-worker.js';
import { ToolResultRouter } from '../../src/jobs/tool-result-router.js';
import type { WorkerTuning } from '../../src/jobs/worker-factory.js';

export interface ToolWorkerChildConfig {
  redisUrl: string;
  mysqlUrl: string;
  prefix: string;
  instanceId: string;
  tools: HttpToolInput[];
  tuning: WorkerTuning;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.JOBS_CHILD_CONFIG ?? '{}') as ToolWorkerChildConfig;
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));
  const db = createDb({ connection: { url: config.mysqlUrl }, poolSize: 2 });
  const redis = createRedisClient(config.redisUrl, 'commands');
  const ownership = new CallOwnership(redis, { prefix: config.prefix, instanceId: config.instanceId, logger });
  const worker = new ToolCallWorker({
    connection: config.redisUrl,
    prefix: config.prefix,
    db,
    catalog: new ToolCatalog(config.tools),
    control: {
      execute: async () => {
        throw new AppError('no call control in this process', { code: 'CONTROL_UNAVAILABLE', category: 'server' });
      },
    },
    router: new ToolResultRouter({ redis, prefix: config.prefix, ownership }),
    claims: new ToolCallClaims(redis, { prefix: config.prefix }),
    controlTimeoutMs: 1000,
    dbRetry: { initialDelayMs: 100, maxDelayMs: 100, multiplier: 1, jitter: 0, maxAttempts: 5 },
    tuning: config.tuning,
    logger,
    workerName: config.instanceId,
  });
  await worker.waitUntilReady();
  process.send?.({ type: 'ready' });
}

main().catch((err: unknown) => {
  process.stderr.write(`tool worker child failed: ${String(err)}\n`);
  process.exit(1);
});
