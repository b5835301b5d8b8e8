import type { z } from 'zod';
import type { ConfigIssue } from '../errors/config-error.js';

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The values a union of literals accepts, when every branch is one `invalid_value` issue; undefined otherwise. */
function unionOfValues(issue: z.core.$ZodIssue): unknown[] | undefined {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return undefined;
  const values: unknown[] = [];
  for (const branch of issue.errors) {
    const only = branch.length === 1 ? branch[0] : undefined;
    if (only?.code !== 'invalid_value' || only.path.length > 0) return undefined;
    values.push(...only.values);
  }
  return values;
}

/**
 * One readable message per zod issue: enum and literal-union fields list the allowed values, and the bad value is
 * echoed (the schema must be parsed with `reportInput: true` for the value to be known).
 */
export function describeZodIssue(issue: z.core.$ZodIssue): string {
  const loose = issue as unknown as Record<string, unknown>;
  const input = loose.input;
  if (typeof loose.discriminator === 'string' && Array.isArray(loose.options)) {
    const value =
      input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[loose.discriminator] : input;
    return `must be one of ${loose.options.map(show).join(', ')} (got ${show(value)})`;
  }
  const got = input !== undefined ? ` (got ${show(input)})` : '';
  const allowed = issue.code === 'invalid_value' ? issue.values : unionOfValues(issue);
  // A schema's own message wins over zod's default one ("Invalid option: …").
  if (allowed && issue.message.startsWith('Invalid')) return `must be one of ${allowed.map(show).join(', ')}${got}`;
  return `${issue.message}${got}`;
}

/** Zod issues as config issues named `<prefix>:<json path>`. */
export function formatZodIssues(prefix: string, error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({
    variable: issue.path.length > 0 ? `${prefix}${prefix ? ':' : ''}${issue.path.join('.')}` : prefix,
    message: describeZodIssue(issue),
  }));
}
