/**
 * Why an AudioSocket connection ended.
 * - `remote_closed`: Asterisk closed the socket (its way of hanging up: it never sends `0x00`).
 * - `remote_hangup` / `remote_error`: the peer sent a `0x00` or `0xff` frame.
 * - `hangup_sent`: we sent `0x00` and closed. `local_close`: we closed without `0x00`.
 * - `idle_timeout`: nothing arrived for `idleTimeoutMs`. `protocol_error`: garbage or an illegal frame.
 * - `socket_error`: the socket failed (e.g. ECONNRESET). `server_closing`: the server shut down.
 * - `internal_error`: one of our event listeners threw.
 */
export const AUDIOSOCKET_CLOSE_REASONS = [
  'remote_closed',
  'remote_hangup',
  'remote_error',
  'hangup_sent',
  'local_close',
  'idle_timeout',
  'protocol_error',
  'socket_error',
  'server_closing',
  'internal_error',
] as const;
export type AudioSocketCloseReason = (typeof AUDIOSOCKET_CLOSE_REASONS)[number];

export interface AudioSocketCloseInfo {
  readonly reason: AudioSocketCloseReason;
  /** The protocol or socket error behind `protocol_error`, `socket_error`, `remote_error` and `internal_error`. */
  readonly error?: Error;
}
