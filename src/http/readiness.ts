import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.js';

/** One readiness check's outcome. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

/** What readiness looks at; parts that are not configured are left out. */
export interface ReadinessSources {
  accepting(): boolean;
  /** Whether the ARI events WebSocket is open; absent when ARI is not configured. */
  ariConnected?: (() => boolean) | undefined;
  db?: (() => Kysely<DB> | undefined) | undefined;
  redis?: (() => Pick<Redis, 'ping'> | undefined) | undefined;
  /** Routes refused because the connected Asterisk lacks their media path (name → why); absent without ARI. */
  refusedRoutes?: (() => ReadonlyMap<string, string>) | undefined;
  /** Longest wait for a MySQL or Redis ping. */
  timeoutMs?: number;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

async function probe(name: string, run: () => Promise<unknown>, timeoutMs: number): Promise<ReadinessCheck> {
  try {
    await withTimeout(run(), timeoutMs);
    return { name, ok: true };
  } catch (err) {
    return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs every configured readiness check; ready when all pass. */
export async function checkReadiness(s: ReadinessSources): Promise<{ ready: boolean; checks: ReadinessCheck[] }> {
  const timeoutMs = s.timeoutMs ?? 2000;
  const checks: ReadinessCheck[] = [
    s.accepting()
      ? { name: 'accepting', ok: true }
      : { name: 'accepting', ok: false, detail: 'shutting down or not started' },
  ];
  if (s.ariConnected) {
    checks.push(
      s.ariConnected() ? { name: 'ari', ok: true } : { name: 'ari', ok: false, detail: 'ARI events not connected' },
    );
  }
  // Listed only when a route is refused: its calls cannot be served until Asterisk or the routes change.
  const refused = s.refusedRoutes?.();
  if (refused && refused.size > 0) {
    checks.push({ name: 'media_paths', ok: false, detail: [...refused.values()].join('; ') });
  }
  const pending: Promise<ReadinessCheck>[] = [];
  if (s.db) {
    const db = s.db();
    pending.push(
      db
        ? probe('mysql', () => sql`select 1`.execute(db), timeoutMs)
        : Promise.resolve({ name: 'mysql', ok: false, detail: 'not started' }),
    );
  }
  if (s.redis) {
    const redis = s.redis();
    pending.push(
      redis
        ? probe('redis', () => redis.ping(), timeoutMs)
        : Promise.resolve({ name: 'redis', ok: false, detail: 'not started' }),
    );
  }
  checks.push(...(await Promise.all(pending)));
  return { ready: checks.every((c) => c.ok), checks };
}
