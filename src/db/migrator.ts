import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResult,
  Migrator,
  NO_MIGRATIONS,
} from 'kysely';
import { AppError } from '../errors/app-error.js';
import type { DB } from './schema.js';

/** Table kysely records applied migrations in, and its lock table. */
export const MIGRATION_TABLE = 'ava_migrations';
export const MIGRATION_LOCK_TABLE = 'ava_migrations_lock';

/** The repository's top-level `migrations/` folder, found relative to this module (works from src/ and dist/). */
export function defaultMigrationsFolder(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
}

/**
 * Loads every migration module in a folder (`NNNN_name.ts` or `.js`, not `.d.ts`), keyed by file name without
 * extension; kysely applies them in name order. A module exports `up(db)` and optionally `down(db)`.
 * `.ts` files need a TypeScript-aware loader (tsx, vitest).
 */
export class FolderMigrationProvider implements MigrationProvider {
  readonly #folder: string;

  constructor(folder: string = defaultMigrationsFolder()) {
    this.#folder = folder;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.#folder))
      .filter((f) => /^\d+_[\w-]+\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts'))
      .sort();
    const out: Record<string, Migration> = {};
    for (const file of files) {
      const key = file.slice(0, file.lastIndexOf('.'));
      if (key in out) continue; // both .ts and compiled .js present: keep the first
      const mod = (await import(pathToFileURL(join(this.#folder, file)).href)) as Partial<Migration> & {
        default?: Partial<Migration>;
      };
      const m = typeof mod.up === 'function' ? mod : mod.default;
      if (!m || typeof m.up !== 'function') {
        throw new MigrationError(`migration ${file} exports no up() function`, []);
      }
      out[key] = m.down ? { up: m.up, down: m.down } : { up: m.up };
    }
    return out;
  }
}

/** One migration and whether it has been applied. */
export interface MigrationStatusEntry {
  name: string;
  executedAt: Date | null;
}

/** One migration run by `migrateUp`/`migrateDown`. */
export interface MigrationStep {
  name: string;
  direction: 'Up' | 'Down';
  status: 'Success' | 'Error' | 'NotExecuted';
}

/** A migration run failed; `steps` says which migrations ran, failed or were skipped. */
export class MigrationError extends AppError {
  readonly steps: readonly MigrationStep[];
  constructor(message: string, steps: readonly MigrationStep[], cause?: unknown) {
    super(message, { code: 'MIGRATION_FAILED', category: 'server', retryable: false, cause, details: { steps } });
    this.steps = steps;
  }
}

export interface MigrateOptions {
  /** Where migrations come from; the top-level `migrations/` folder by default. */
  provider?: MigrationProvider;
}

function migrator(db: Kysely<DB>, options: MigrateOptions): Migrator {
  return new Migrator({
    db,
    provider: options.provider ?? new FolderMigrationProvider(),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

function toSteps(results: readonly MigrationResult[] | undefined): MigrationStep[] {
  return (results ?? []).map((r) => ({ name: r.migrationName, direction: r.direction, status: r.status }));
}

function check(result: { error?: unknown; results?: MigrationResult[] }, what: string): MigrationStep[] {
  const steps = toSteps(result.results);
  if (result.error !== undefined) {
    const failed = steps.find((s) => s.status === 'Error');
    const detail = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`${what} failed${failed ? ` at ${failed.name}` : ''}: ${detail}`, steps, result.error);
  }
  return steps;
}

/** Applies every pending migration, in order, under kysely's migration lock. Returns what ran. */
export async function migrateUp(db: Kysely<DB>, options: MigrateOptions = {}): Promise<MigrationStep[]> {
  return check(await migrator(db, options).migrateToLatest(), 'migrate up');
}

/** Reverts the last `steps` applied migrations (1 by default; `'all'` reverts every one). Returns what ran. */
export async function migrateDown(
  db: Kysely<DB>,
  options: MigrateOptions & { steps?: number | 'all' } = {},
): Promise<MigrationStep[]> {
  const m = migrator(db, options);
  if (options.steps === 'all') return check(await m.migrateTo(NO_MIGRATIONS), 'migrate down');
  const n = options.steps ?? 1;
  const out: MigrationStep[] = [];
  for (let i = 0; i < n; i++) {
    const steps = check(await m.migrateDown(), 'migrate down');
    out.push(...steps);
    if (steps.length === 0) break;
  }
  return out;
}

/** Every known migration in order, with when it was applied (null: pending). */
export async function migrationStatus(db: Kysely<DB>, options: MigrateOptions = {}): Promise<MigrationStatusEntry[]> {
  const all = await migrator(db, options).getMigrations();
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
}
