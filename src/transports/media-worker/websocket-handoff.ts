/**
 * Handing an open WebSocket (handshake done, frames read by this process so far) to another process: an agent
 * connection the primary accepted, authenticated and paired with a waiting call, moved to the media worker that
 * holds the call's media. The primary stops reading at a frame boundary and sends the TCP socket with the bytes it
 * had read but not parsed; the worker builds a server-side WebSocket on it that goes on from that frame. No frame is
 * parsed twice or lost, and nothing is sent on the connection while it moves.
 *
 * This reaches into the `ws` package's receiver (its parse state and unparsed bytes), which `ws` does not expose;
 * `detachWebSocket` checks those fields and refuses (WEBSOCKET_HANDOFF_FAILED) a version that lacks them.
 */
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import { AppError } from '../../errors/app-error.js';
import { restartReading, stopReading } from './upgrade-handoff.js';

/** The parts of a `ws` receiver the hand-over reads: its parse state and the bytes it holds unparsed. */
interface ReceiverInternals {
  /** 0 (GET_INFO): waiting for the first bytes of a frame; anything else is inside a frame. */
  _state: number;
  /** Non-zero while a fragmented message is incomplete. */
  _fragmented: number;
  _buffers: Buffer[];
  _bufferedBytes: number;
  removeAllListeners(): unknown;
}

interface WebSocketInternals {
  _socket: unknown;
  _receiver: unknown;
  _readyState: number;
}

/** The listeners `ws` puts on the socket it runs on (they go when the socket leaves this process). */
const WS_SOCKET_LISTENERS = new Set(['socketOnClose', 'socketOnData', 'socketOnEnd', 'socketOnError']);

/** How long a hand-over waits for a frame the peer is in the middle of sending to complete. */
const FRAME_BOUNDARY_WAIT_MS = 5000;

export interface DetachedWebSocket {
  readonly socket: Socket;
  /** Bytes read from the socket and not parsed: they start a frame and come before what is still in the kernel. */
  readonly head: Buffer;
}

function handoffError(why: string): AppError {
  return new AppError(`the agent connection could not be handed over: ${why}`, {
    code: 'WEBSOCKET_HANDOFF_FAILED',
    category: 'server',
  });
}

function receiverOf(ws: WebSocket): { socket: Socket; receiver: ReceiverInternals } | undefined {
  const w = ws as unknown as WebSocketInternals;
  const r = w._receiver as Partial<ReceiverInternals> | null;
  const socket = w._socket;
  if (!(socket instanceof Socket) || socket instanceof TLSSocket || !r) return undefined;
  if (typeof r._state !== 'number' || typeof r._fragmented !== 'number' || !Array.isArray(r._buffers)) return undefined;
  return { socket, receiver: r as ReceiverInternals };
}

/**
 * Takes an open server-side WebSocket off this process's hands at the next frame boundary: stops its socket reading,
 * returns the socket and the unparsed bytes, and leaves the `WebSocket` object closed and inert here (no event of it
 * fires again, sends on it are dropped). Waits (up to 5 s) while the peer is in the middle of a frame. Rejects with
 * WEBSOCKET_HANDOFF_FAILED when the connection is not open, is TLS, closes first, or never reaches a boundary. The
 * caller sends the socket at once (it stays paused until then).
 */
export function detachWebSocket(ws: WebSocket): Promise<DetachedWebSocket> {
  const parts = receiverOf(ws);
  if (ws.readyState !== WebSocket.OPEN) return Promise.reject(handoffError('it is not open'));
  if (!parts) return Promise.reject(handoffError('not a plain TCP WebSocket of a known ws version'));
  const { socket, receiver } = parts;
  const atBoundary = () => receiver._state === 0 && receiver._fragmented === 0;
  const detach = (): DetachedWebSocket => {
    const unparsed = receiver._buffers.splice(0);
    receiver._bufferedBytes = 0;
    const head = Buffer.concat([...unparsed, ...stopReading(socket)]);
    for (const event of ['close', 'data', 'end', 'error'] as const)
      for (const listener of socket.listeners(event))
        if (WS_SOCKET_LISTENERS.has((listener as { name?: string }).name ?? ''))
          socket.off(event, listener as (...args: unknown[]) => void);
    receiver.removeAllListeners();
    ws.removeAllListeners();
    // Closed as far as this process is concerned: `send`, `ping` and `close` on it do nothing from now on.
    (ws as unknown as WebSocketInternals)._readyState = WebSocket.CLOSED;
    return { socket, head };
  };
  if (atBoundary()) return flushed(detach());
  return new Promise<DetachedWebSocket>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    // Runs after ws's own 'data' listener has parsed the chunk.
    const onData = () => {
      if (!atBoundary()) return;
      done();
      resolve(detach());
    };
    const onClose = () => {
      done();
      reject(handoffError('it closed'));
    };
    const timer = setTimeout(() => {
      done();
      reject(handoffError('the peer stayed in the middle of a frame'));
    }, FRAME_BOUNDARY_WAIT_MS);
    socket.on('data', onData);
    socket.once('close', onClose);
  }).then(flushed);
}

/** Resolves once what this process queued on the socket (a ping, an event) is written: it must not stay behind. */
function flushed(d: DetachedWebSocket): Promise<DetachedWebSocket> {
  if (d.socket.writableLength === 0) return Promise.resolve(d);
  return new Promise((resolve, reject) => {
    const onClose = () => reject(handoffError('it closed'));
    d.socket.once('close', onClose);
    d.socket.once('drain', () => {
      d.socket.off('close', onClose);
      resolve(d);
    });
  });
}

export interface AdoptOptions {
  /** Largest message accepted (as the endpoint that accepted the connection). Default 1 MiB. */
  readonly maxPayloadBytes?: number;
}

/**
 * Builds a server-side WebSocket on a socket another process detached with `detachWebSocket`: `head` is parsed
 * first, then what arrives on the socket. The WebSocket is open at once, and reads start only in the next turn of
 * the event loop (`setImmediate`), so listeners attached in this tick or in its promise continuations (a waiter the
 * WebSocket resolves) miss no message.
 */
export function adoptWebSocket(socket: Socket, head: Buffer, options: AdoptOptions = {}): WebSocket {
  // A server-side WebSocket with no socket yet (what ws's own server builds before its handshake completes).
  const ServerSide = WebSocket as unknown as new (
    address: null,
    protocols: undefined,
    o: { autoPong: boolean },
  ) => WebSocket;
  const ws = new ServerSide(null, undefined, { autoPong: true });
  socket.on('error', () => undefined);
  // Paused, `ws`'s data listener does not start the flow (which would run in this tick's nextTick queue).
  socket.pause();
  (
    ws as unknown as {
      setSocket(s: Socket, head: Buffer, o: { allowSynchronousEvents: boolean; maxPayload: number }): void;
    }
  ).setSocket(socket, head, { allowSynchronousEvents: true, maxPayload: options.maxPayloadBytes ?? 1024 * 1024 });
  setImmediate(() => restartReading(socket));
  return ws;
}
