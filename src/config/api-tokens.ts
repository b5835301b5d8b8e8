import { z } from 'zod';
import type { ConfigIssue } from '../errors/config-error.js';
import { dialableListSchema } from './dialable.js';

/**
 * Scopes of API tokens: `read` lists and gets; `control` also originates and controls calls; `agent` only connects
 * agents in at /v1/agents/ws (no REST access; `control` does not include it).
 */
export const API_TOKEN_SCOPES = ['read', 'control', 'agent'] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

export interface ApiTokenConfig {
  name: string;
  scope: ApiTokenScope;
  token: string;
  /**
   * Destinations an agent connected in with this token may `invite` (patterns, see dialable.ts); absent: the
   * token itself allows none, and only a route's `dialable` list can (JSON form of API_TOKENS only).
   */
  dialable?: string[] | undefined;
}

export interface HttpConfig {
  host: string;
  port: number;
  tokens: ApiTokenConfig[];
  rateLimitPerMinute: number;
  bodyLimitBytes: number;
}

const apiTokenSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'token name: letters, digits, _ . - only'),
    scope: z.enum(API_TOKEN_SCOPES),
    token: z.string().min(16, 'use a token of at least 16 characters').max(512),
    dialable: dialableListSchema.optional(),
  })
  .strict();

/** Parses API_TOKENS: a JSON list of `{name, scope, token}` or comma-separated `name:scope:token`. */
export function parseApiTokens(raw: string): { tokens: ApiTokenConfig[]; issues: ConfigIssue[] } {
  const trimmed = raw.trim();
  let entries: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      entries = z.array(z.unknown()).parse(JSON.parse(trimmed));
    } catch {
      return { tokens: [], issues: [{ variable: 'API_TOKENS', message: 'not a valid JSON list' }] };
    }
  } else {
    entries = trimmed
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0)
      .map((part) => {
        const [name, scope, ...rest] = part.split(':');
        return { name, scope, token: rest.join(':') };
      });
  }
  const tokens: ApiTokenConfig[] = [];
  const issues: ConfigIssue[] = [];
  entries.forEach((entry, i) => {
    const parsed = apiTokenSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        issues.push({
          variable: `API_TOKENS[${i}]${issue.path.length ? `.${issue.path.join('.')}` : ''}`,
          message: issue.message,
        });
      return;
    }
    if (tokens.some((t) => t.name === parsed.data.name))
      issues.push({ variable: `API_TOKENS[${i}]`, message: `token name "${parsed.data.name}" used twice` });
    else tokens.push(parsed.data);
  });
  return { tokens, issues };
}
