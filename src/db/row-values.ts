import { DbError } from './db-error.js';

/**
 * Checks an enumerated VARCHAR value read from the database against its allowed values; a value outside them means
 * the database holds something this version does not know, which is reported rather than passed on.
 */
export function oneOf<const T extends readonly string[]>(allowed: T, value: string, column: string): T[number] {
  if ((allowed as readonly string[]).includes(value)) return value as T[number];
  throw new DbError(`unexpected value ${JSON.stringify(value)} in ${column}`, false, undefined, { column, value });
}

/** Same as `oneOf` for a nullable column. */
export function oneOfOrNull<const T extends readonly string[]>(
  allowed: T,
  value: string | null,
  column: string,
): T[number] | null {
  return value === null ? null : oneOf(allowed, value, column);
}

/** Converts an `insertId` from kysely (bigint or undefined) to a number. */
export function insertedId(id: bigint | undefined, table: string): number {
  if (id === undefined) throw new DbError(`insert into ${table} returned no id`, false, undefined);
  return Number(id);
}
