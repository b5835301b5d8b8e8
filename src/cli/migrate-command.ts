import { createDb } from '../db/create-db.js';
import { migrateDown, migrateUp, migrationStatus } from '../db/migrator.js';
import { parseEnv } from '../config/load-config.js';
import { AppError, isAppError } from '../errors/app-error.js';
import type { MigrateAction } from './migrate-actions.js';

/** Where a mysql:// URL points, without its credentials. */
function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '3306'}${u.pathname}`;
  } catch {
    return 'MYSQL_URL';
  }
}

/**
 * A failure of the database driver as an AppError with a one-line message: unreachable server → `connectivity`
 * (exit 4); unknown database or refused credentials → `configuration` (exit 3). Other errors pass through.
 */
export function databaseError(err: unknown, url: string): unknown {
  // The migrator wraps the driver's error (its cause); the driver's code decides.
  const driverError = isAppError(err) ? err.cause : err;
  if (!(driverError instanceof Error)) return err;
  const code = (driverError as { code?: unknown }).code;
  const target = describeTarget(url);
  switch (code) {
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ECONNRESET':
    case 'PROTOCOL_CONNECTION_LOST':
      return new AppError(`cannot reach the database at ${target} (${code}); is MySQL/MariaDB running?`, {
        code: 'DB_UNAVAILABLE',
        category: 'connectivity',
        cause: err,
      });
    case 'ER_BAD_DB_ERROR':
      return new AppError(`the database in MYSQL_URL (${target}) does not exist: create it first (CREATE DATABASE)`, {
        code: 'CONFIG_INVALID',
        category: 'configuration',
        cause: err,
      });
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return new AppError(`the database refused the user in MYSQL_URL (${target}): ${driverError.message}`, {
        code: 'CONFIG_INVALID',
        category: 'configuration',
        cause: err,
      });
    default:
      return err;
  }
}

/** `ava migrate up|down|status`: runs against MYSQL_URL (REDIS_URL is not needed) and returns what it did. */
export async function runMigrate(
  action: MigrateAction,
  steps: string,
  env: Record<string, string | undefined>,
): Promise<unknown> {
  const url = parseEnv(env).MYSQL_URL;
  if (!url) throw new AppError('MYSQL_URL is not set', { code: 'CONFIG_INVALID', category: 'configuration' });
  const n = steps === 'all' ? 'all' : Number(steps);
  if (action === 'down' && n !== 'all' && (!Number.isInteger(n) || n < 1)) {
    throw new AppError(`--steps must be a positive number or "all", not ${steps}`, {
      code: 'USAGE',
      category: 'invalid_request',
    });
  }
  const db = createDb({ connection: { url }, poolSize: 1 });
  try {
    switch (action) {
      case 'up':
        return { applied: (await migrateUp(db)).map((s) => s.name) };
      case 'down':
        return { reverted: (await migrateDown(db, { steps: n })).map((s) => s.name) };
      case 'status':
        return { migrations: await migrationStatus(db) };
      default: {
        const never: never = action;
        throw new Error(`unhandled migrate action ${String(never)}`);
      }
    }
  } catch (err) {
    throw databaseError(err, url);
  } finally {
    await db.destroy();
  }
}
