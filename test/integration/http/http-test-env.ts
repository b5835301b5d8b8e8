import type { AppDeps } from '../../../src/app.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { cleanRedis, randomPrefix, REDIS_URL } from '../jobs/job-test-env.js';
import { type AriHarness, startAriHarness } from '../../support/ari-harness.js';

export const CONTROL_TOKEN = 'control-token-0123456789abcdef';
export const READ_TOKEN = 'read-token-0123456789abcdefgh';
export const API_TOKENS = `ops:control:${CONTROL_TOKEN},viewer:read:${READ_TOKEN}`;

export const control = { authorization: `Bearer ${CONTROL_TOKEN}` };
export const reader = { authorization: `Bearer ${READ_TOKEN}` };

/** A simulated Asterisk and the service with its own MySQL database, Redis prefix and HTTP API on port 0. */
export interface ApiEnv {
  h: AriHarness;
  tmp: TempDatabase;
  prefix: string;
  close(): Promise<void>;
}

export async function startApiEnv(
  env: Record<string, string> = {},
  deps: AppDeps & { routesJson?: unknown } = {},
): Promise<ApiEnv> {
  const tmp = await createTempDatabase({ migrate: false });
  const prefix = randomPrefix();
  let h: AriHarness;
  try {
    h = await startAriHarness(
      {
        DEFAULT_AGENT: 'echo',
        MYSQL_URL: tmp.url,
        REDIS_URL,
        JOBS_PREFIX: prefix,
        INSTANCE_ID: `test-${prefix}`,
        HTTP_ENABLED: 'true',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        API_TOKENS,
        ...env,
      },
      deps,
    );
  } catch (err) {
    await tmp.drop();
    await cleanRedis(REDIS_URL, prefix);
    throw err;
  }
  return {
    h,
    tmp,
    prefix,
    async close() {
      try {
        await h.stop();
      } finally {
        await tmp.drop();
        await cleanRedis(REDIS_URL, prefix);
      }
    },
  };
}
