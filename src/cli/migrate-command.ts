import { createDb } from '../db/create-db.js';
import { migrateDown, migrateUp, migrationStatus } from '../db/migrator.js';
import { loadConfig } from '../config/load-config.js';
import { AppError } from '../errors/app-error.js';

/** `ava migrate up|down|status`: runs against MYSQL_URL and returns what it did, for JSON output. */
export async function runMigrate(action: string, steps: string): Promise<unknown> {
  const config = loadConfig();
  const url = config.jobs?.mysqlUrl;
  if (!url)
    throw new AppError('MYSQL_URL is not set (and REDIS_URL with it)', {
      code: 'CONFIG_INVALID',
      category: 'configuration',
    });
  const db = createDb({ connection: { url }, poolSize: 1 });
  try {
    switch (action) {
      case 'up':
        return { applied: (await migrateUp(db)).map((s) => s.name) };
      case 'down': {
        const n = steps === 'all' ? 'all' : Number(steps);
        if (n !== 'all' && (!Number.isInteger(n) || n < 1)) {
          throw new AppError(`--steps must be a positive number or "all", not ${steps}`, {
            code: 'USAGE',
            category: 'invalid_request',
          });
        }
        return { reverted: (await migrateDown(db, { steps: n })).map((s) => s.name) };
      }
      case 'status':
        return { migrations: await migrationStatus(db) };
      default:
        throw new AppError(`unknown migrate action "${action}" (up, down, status)`, {
          code: 'USAGE',
          category: 'invalid_request',
        });
    }
  } finally {
    await db.destroy();
  }
}
