/**
 * JSON columns are stored as JSON text on both MySQL (read back as text because the pool sets `jsonStrings`) and
 * MariaDB (where JSON is a checked LONGTEXT). These two functions are the only way repositories cross that edge.
 */

/** Serialises a value for a JSON column; `undefined` becomes JSON `null`. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Parses a JSON column read from either server (text, or an already-parsed value from a driver that parses). */
export function fromJsonText(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return JSON.parse(value) as unknown;
  if (Buffer.isBuffer(value)) return JSON.parse(value.toString('utf8')) as unknown;
  return value;
}
