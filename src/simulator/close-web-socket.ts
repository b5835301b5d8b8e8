import { WebSocket } from 'ws';

/** How long a simulated peer waits for the other side to answer its close frame before terminating the socket. */
export const SIM_CLOSE_WAIT_MS = 2000;

/**
 * Closes a simulated peer's WebSocket with `code`/`reason`. Idempotent; resolves once the socket has closed, which
 * takes at most `waitMs` (then the socket is terminated). Never rejects.
 */
export function closeWebSocket(ws: WebSocket, code = 1000, reason = '', waitMs = SIM_CLOSE_WAIT_MS): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => ws.terminate(), waitMs);
    timer.unref();
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      ws.close(code, reason);
    } catch {
      ws.terminate();
    }
  });
}
