/**
 * Scratch MySQL and Redis for the benchmarks of the job layer: a fresh database on the server (created empty,
 * dropped afterwards) and a random key prefix (its keys deleted afterwards), so a run never touches real data.
 * BENCH_MYSQL_URL (a server URL without a database) and BENCH_REDIS_URL override the loopback defaults.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { createDb } from '../../src/db/create-db.js';

export const DEFAULT_BENCH_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_BENCH_MYSQL_URL = 'mysql://root@127.0.0.1:3306';

export interface ScratchBackends {
  readonly redisUrl: string;
  /** The server URL, without a database. */
  readonly mysqlServerUrl: string;
  /** The scratch database's URL. */
  readonly mysqlUrl: string;
  readonly dbName: string;
  /** Prefix of every Redis key of the run (a JOBS_PREFIX). */
  readonly prefix: string;
  /** Drops the database and deletes the prefix's keys; never throws. */
  drop(): Promise<void>;
}

/** A server URL without trailing slashes or database. */
export function mysqlServerUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Creates the scratch database (empty: migrations are the caller's) and picks the key prefix. */
export async function createScratchBackends(
  opts: { redisUrl?: string | undefined; mysqlUrl?: string | undefined } = {},
): Promise<ScratchBackends> {
  const redisUrl = opts.redisUrl ?? process.env.BENCH_REDIS_URL ?? DEFAULT_BENCH_REDIS_URL;
  const server = mysqlServerUrl(opts.mysqlUrl ?? process.env.BENCH_MYSQL_URL ?? DEFAULT_BENCH_MYSQL_URL);
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const dbName = `bench_${randomBytes(4).toString('hex')}`;
  const admin = createDb({ connection: { url: `${server}/mysql` }, poolSize: 1 });
  try {
    await sql`CREATE DATABASE ${sql.id(dbName)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`.execute(admin);
  } catch (err) {
    await admin.destroy();
    throw err;
  }
  return {
    redisUrl,
    mysqlServerUrl: server,
    mysqlUrl: `${server}/${dbName}`,
    dbName,
    prefix,
    drop: async () => {
      await sql`DROP DATABASE IF EXISTS ${sql.id(dbName)}`.execute(admin).catch(() => undefined);
      await admin.destroy().catch(() => undefined);
      await deleteKeys(redisUrl, `${prefix}:*`).catch(() => undefined);
    },
  };
}

/** Deletes every Redis key matching the pattern. */
export async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
