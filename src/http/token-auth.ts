import { createHash, timingSafeEqual } from 'node:crypto';

/** `read` and `control` are REST scopes; `agent` is for agents connecting in at /v1/agents/ws, and nothing else. */
export type ApiScope = 'read' | 'control' | 'agent';

export interface ApiToken {
  readonly name: string;
  readonly scope: ApiScope;
  readonly token: string;
}

/** Who made a request. */
export interface Principal {
  readonly name: string;
  readonly scope: ApiScope;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Resolves bearer tokens to principals. Every configured token is compared (digests of equal length, constant
 * time), so the time taken says nothing about which token, or how much of it, matched.
 */
export class TokenAuthenticator {
  readonly #tokens: { principal: Principal; digest: Buffer }[];

  constructor(tokens: readonly ApiToken[]) {
    this.#tokens = tokens.map((t) => ({ principal: { name: t.name, scope: t.scope }, digest: digest(t.token) }));
  }

  /** The principal of an `Authorization` header value, or undefined. */
  authenticate(header: string | undefined): Principal | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) return undefined;
    const given = digest(match[1]);
    let found: Principal | undefined;
    for (const t of this.#tokens) {
      if (timingSafeEqual(given, t.digest) && !found) found = t.principal;
    }
    return found;
  }
}

/**
 * Whether a principal's scope covers what a route needs: `control` includes `read`; `agent` is separate both ways
 * (an agent token cannot use the REST API, a `control` token cannot connect as an agent).
 */
export function scopeAllows(have: ApiScope, need: ApiScope): boolean {
  if (have === 'agent' || need === 'agent') return have === need;
  return have === 'control' || need === 'read';
}
