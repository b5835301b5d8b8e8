import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { createDb } from '../../../src/db/create-db.js';
import { migrateUp } from '../../../src/db/migrator.js';
import type { DB } from '../../../src/db/schema.js';

/** The shared MariaDB/MySQL server the integration tier runs against (DESIGN §7). */
export const MYSQL_HOST = '127.0.0.1';
export const MYSQL_PORT = 3306;
export const MYSQL_USER = 'root';

/** A database `t_<random>` created for one test, migrated unless asked not to, dropped by `drop()`. */
export interface TempDatabase {
  name: string;
  url: string;
  db: Kysely<DB>;
  /** Destroys the pool and drops the database. Idempotent. */
  drop(): Promise<void>;
}

export function mysqlUrl(database: string, port = MYSQL_PORT): string {
  return `mysql://${MYSQL_USER}@${MYSQL_HOST}:${port}/${database}`;
}

/** Creates a database on a server (the shared one by default). Fails loudly when the server is unreachable. */
export async function createTempDatabase(
  options: { migrate?: boolean; port?: number; poolSize?: number } = {},
): Promise<TempDatabase> {
  const port = options.port ?? MYSQL_PORT;
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = createDb({
    connection: { host: MYSQL_HOST, port, user: MYSQL_USER, password: '', database: 'mysql' },
    poolSize: 1,
  });
  try {
    await sql`CREATE DATABASE ${sql.id(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(admin);
  } finally {
    await admin.destroy();
  }
  const url = mysqlUrl(name, port);
  const db = createDb({ connection: { url }, poolSize: options.poolSize ?? 5 });
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    await db.destroy().catch(() => undefined);
    const a = createDb({
      connection: { host: MYSQL_HOST, port, user: MYSQL_USER, password: '', database: 'mysql' },
      poolSize: 1,
    });
    try {
      await sql`DROP DATABASE IF EXISTS ${sql.id(name)}`.execute(a);
    } finally {
      await a.destroy();
    }
  };
  if (options.migrate !== false) {
    try {
      await migrateUp(db);
    } catch (err) {
      await drop();
      throw err;
    }
  }
  return { name, url, db, drop };
}
