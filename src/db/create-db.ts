import { CompiledQuery, Kysely, MysqlDialect } from 'kysely';
import { createPool, type PoolOptions } from 'mysql2';
import { z } from 'zod';
import { ConfigError } from '../errors/config-error.js';
import type { DB } from './schema.js';

/** Where the database is: a `mysql://user:pass@host:port/db` URL, or its parts. */
export const dbConnectionSchema = z.union([
  z.object({ url: z.string().regex(/^mysql:\/\//, 'expected a mysql:// URL') }).strict(),
  z
    .object({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(3306),
      user: z.string().min(1),
      password: z.string().default(''),
      database: z.string().min(1),
    })
    .strict(),
]);
export type DbConnection = z.input<typeof dbConnectionSchema>;

export const dbOptionsSchema = z
  .object({
    connection: dbConnectionSchema,
    /** Most connections open at once. */
    poolSize: z.number().int().min(1).max(1000).default(10),
    /** Most queries waiting for a free connection; beyond it a query fails at once (bounded queue). */
    queueLimit: z.number().int().min(1).max(100_000).default(1000),
    /** How long opening a connection may take. */
    connectTimeoutMs: z.number().int().min(100).max(120_000).default(5000),
  })
  .strict();
export type DbOptions = z.input<typeof dbOptionsSchema>;

/**
 * Creates the `Kysely<DB>` used by every repository: a mysql2 pool (bounded wait queue, UTC dates, utf8mb4, JSON
 * returned as text so MySQL and MariaDB read the same) and a per-connection `SET time_zone = '+00:00'`.
 * Opening is lazy: nothing connects until the first query. `db.destroy()` closes the pool.
 */
export function createDb(options: DbOptions): Kysely<DB> {
  const parsed = dbOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: `db.${i.path.join('.')}`, message: i.message })));
  }
  const o = parsed.data;
  const common: PoolOptions = {
    connectionLimit: o.poolSize,
    queueLimit: o.queueLimit,
    waitForConnections: true,
    connectTimeout: o.connectTimeoutMs,
    timezone: 'Z',
    charset: 'UTF8MB4_UNICODE_CI',
    dateStrings: false,
    jsonStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    enableKeepAlive: true,
  };
  const pool =
    'url' in o.connection
      ? createPool({ ...common, uri: o.connection.url })
      : createPool({
          ...common,
          host: o.connection.host,
          port: o.connection.port,
          user: o.connection.user,
          password: o.connection.password,
          database: o.connection.database,
        });
  return new Kysely<DB>({
    dialect: new MysqlDialect({
      pool,
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw("SET time_zone = '+00:00'"));
      },
    }),
  });
}
