/**
 * Exit codes of the `ava` command: 0 ok; 1 failure; 2 usage (bad arguments, or the API refused the request as
 * invalid); 3 configuration; 4 unavailable (adapter, Redis or the call's owner unreachable, or timed out);
 * 5 not found (no such call, or it has ended); 6 denied (missing or wrong token, or scope).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 3, unavailable: 4, notFound: 5, denied: 6 } as const;
