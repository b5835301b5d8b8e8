/**
 * Handing an HTTP upgrade (a WebSocket that is to be) from the process that accepted it to a media worker, before
 * the handshake is answered: the primary detaches the TCP socket (it stops reading it, and every byte it had read
 * after the request's headers goes with it), sends it over the IPC channel as a handle with the request's line and
 * headers, and the worker completes the WebSocket handshake itself. No frame of it passes through the primary.
 */
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { WebSocket, WebSocketServer } from 'ws';
import { AppError } from '../../errors/app-error.js';
import type { HandedUpgrade } from '../../protocols/media-worker/messages.js';

/** The part of a TCP socket's native handle used to stop it reading (Node's `net.Socket#_handle`). */
interface ReadingHandle {
  reading?: boolean;
  readStop?(): number;
  readStart?(): number;
}

/**
 * Takes an upgrade request's socket off this process's hands, to be sent to another process as an IPC handle:
 * pauses it, collects what it had buffered after `head`, and stops its native handle reading, so no byte that
 * arrives until the handle is sent is read (and lost) here. Returns undefined when the socket cannot travel: not a
 * plain TCP socket (TLS), or already closed. Call it only when the socket is sent at once.
 */
export function detachUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): { upgrade: HandedUpgrade; socket: Socket } | undefined {
  if (!(socket instanceof Socket) || socket instanceof TLSSocket || socket.destroyed) return undefined;
  const chunks = [head, ...stopReading(socket)];
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = value;
  return {
    upgrade: {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers,
      head: Buffer.concat(chunks).toString('base64'),
    },
    socket,
  };
}

/**
 * Stops `socket` reading, for sending it to another process: pauses it, returns what it had buffered, and stops its
 * native handle reading, so every byte that arrives from now on stays in the kernel for the next owner.
 */
export function stopReading(socket: Socket): Buffer[] {
  socket.pause();
  const chunks: Buffer[] = [];
  for (let chunk: unknown = socket.read(); chunk !== null; chunk = socket.read()) {
    if (Buffer.isBuffer(chunk)) chunks.push(chunk);
  }
  // Reading the buffer may have restarted the handle's reads; stop them (same tick: nothing was read since).
  const handle = (socket as unknown as { _handle?: ReadingHandle })._handle;
  if (handle?.readStop) {
    handle.reading = false;
    handle.readStop();
  }
  return chunks;
}

/**
 * Undoes `stopReading` on a socket that stays in this process (a hand-over to a new owner within it): its native
 * handle reads again. A socket received from another process reads on its own once it is resumed.
 */
export function restartReading(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: ReadingHandle })._handle;
  if (handle?.readStart && handle.reading === false) {
    handle.reading = true;
    handle.readStart();
  }
  socket.resume();
}

/**
 * Completes on `wss` (a `noServer` WebSocketServer) the WebSocket handshake of an upgrade handed over with its
 * socket. `wrap` takes the open WebSocket at once (in the same tick, before any message of it can be emitted) and the
 * promise resolves with what it returns; it rejects (code WEBSOCKET_HANDSHAKE_FAILED) when the handshake is refused
 * (the server answered the HTTP error itself) or the socket closes first, or `signal` aborts.
 */
export function completeHandedUpgrade<T>(
  wss: WebSocketServer,
  upgrade: HandedUpgrade,
  socket: Socket,
  wrap: (ws: WebSocket) => T,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (why: string) => {
      if (done) return;
      done = true;
      socket.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(
        new AppError(`WebSocket handshake failed: ${why}`, {
          code: 'WEBSOCKET_HANDSHAKE_FAILED',
          category: 'protocol',
        }),
      );
    };
    const onClose = () => fail('the connection closed before the handshake completed');
    const onAbort = () => fail('aborted');
    if (signal?.aborted) return onAbort();
    socket.on('error', () => undefined);
    socket.once('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
    // What ws reads of the request: method, url, headers (lower-case names), and socket.
    const req = {
      method: upgrade.method,
      url: upgrade.url,
      headers: upgrade.headers,
      socket,
    } as unknown as IncomingMessage;
    wss.handleUpgrade(req, socket, Buffer.from(upgrade.head, 'base64'), (ws) => {
      if (done) {
        ws.terminate();
        return;
      }
      done = true;
      socket.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      resolve(wrap(ws));
    });
  });
}
