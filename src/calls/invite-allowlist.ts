import { compileDialable } from '../config/dialable.js';

/**
 * Whether `endpoint` may be dialled: at least one allowlist (the token's `dialable`, the route's `dialable`) must
 * exist, and every one that exists must match. No list anywhere means no invites (the safe default).
 */
export function inviteAllowed(
  endpoint: string,
  lists: { readonly token: readonly string[] | undefined; readonly route: readonly string[] | undefined },
): { ok: true } | { ok: false; why: string } {
  if (lists.token === undefined && lists.route === undefined)
    return { ok: false, why: 'neither the token nor the route has a dialable list (invites are off by default)' };
  if (lists.token !== undefined && !compileDialable(lists.token)(endpoint))
    return { ok: false, why: `${endpoint} is not in the token's dialable list` };
  if (lists.route !== undefined && !compileDialable(lists.route)(endpoint))
    return { ok: false, why: `${endpoint} is not in the route's dialable list` };
  return { ok: true };
}
