/** What a failed socket connect says about the peer, shared by every client transport. */

/** Socket error codes that mean "nobody answered at that address right now" (a retry may succeed). */
const UNREACHABLE_SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'EPIPE',
]);

/** The `code` of a Node socket error (`ECONNREFUSED`, …), if it has one. */
export function socketErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The socket error code when it means the peer was unreachable; undefined otherwise. */
export function unreachableCode(err: unknown): string | undefined {
  const code = socketErrorCode(err);
  return code !== undefined && UNREACHABLE_SOCKET_CODES.has(code) ? code : undefined;
}
