import type { Socket } from 'node:net';
import { ProtocolError } from '../../errors/protocol-error.js';
import type { AudioSocketDecoder } from '../../protocols/audiosocket/decoder.js';
import type { AudioSocketMessage } from '../../protocols/audiosocket/messages.js';

/** Code of the ProtocolError raised when a connection's first message is not its UUID. */
export const AUDIOSOCKET_UUID_REQUIRED = 'AUDIOSOCKET_UUID_REQUIRED';

export type HandshakeFailureReason =
  | 'handshake_timeout'
  | 'protocol_error'
  | 'remote_closed'
  | 'socket_error'
  | 'server_closing';

export type HandshakeOutcome =
  | {
      readonly ok: true;
      readonly uuid: string;
      /** Messages that arrived in the same read as the UUID frame, after it. */
      readonly rest: AudioSocketMessage[];
      /** A decoding error that followed those messages in the same read; the connection closes on it. */
      readonly restError: Error | undefined;
      readonly bytesIn: number;
      /** Every byte read so far, the UUID frame included (to hand the connection to another process). */
      readonly raw: Buffer;
    }
  | { readonly ok: false; readonly reason: HandshakeFailureReason; readonly error?: Error; readonly bytesIn: number };

export interface HandshakeOptions {
  decoder: AudioSocketDecoder;
  timeoutMs: number;
  /** Aborting ends the wait with `server_closing`. */
  signal: AbortSignal;
  /** Bytes of this connection already read elsewhere (a connection handed over by another process), read first. */
  initial?: Buffer | undefined;
}

/**
 * Waits for a new connection's first frame, which must be the UUID. On success the socket is left paused, with its
 * data listener removed, for the connection object to take over; on failure the caller closes the socket.
 */
export function awaitUuidFrame(socket: Socket, options: HandshakeOptions): Promise<HandshakeOutcome> {
  const { decoder, timeoutMs, signal } = options;
  return new Promise<HandshakeOutcome>((resolve) => {
    let bytesIn = 0;
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (outcome: HandshakeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (outcome.ok) socket.pause();
      resolve(outcome);
    };
    const fail = (reason: HandshakeFailureReason, error?: Error): void => finish({ ok: false, reason, error, bytesIn });
    const onData = (chunk: Buffer): void => {
      bytesIn += chunk.length;
      chunks.push(chunk);
      const out: AudioSocketMessage[] = [];
      let error: Error | undefined;
      try {
        decoder.push(chunk, out);
      } catch (err) {
        error = err as Error;
      }
      const first = out[0];
      if (first === undefined) {
        if (error) fail('protocol_error', error);
        return;
      }
      if (first.type !== 'uuid') {
        fail(
          'protocol_error',
          new ProtocolError(AUDIOSOCKET_UUID_REQUIRED, `first AudioSocket message was ${first.type}, not the UUID`, {
            type: first.type,
          }),
        );
        return;
      }
      // A bad frame after a good UUID in the same read is the call's problem: it is admitted, then closed on it,
      // exactly as if the bad frame had come in a later read.
      const raw = Buffer.concat(chunks);
      finish({ ok: true, uuid: first.uuid, rest: out.slice(1), restError: error, bytesIn, raw });
    };
    const onEnd = (): void => fail('remote_closed');
    const onError = (err: Error): void => fail('socket_error', err);
    const onAbort = (): void => fail('server_closing');
    const timer = setTimeout(() => fail('handshake_timeout'), timeoutMs);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    if (options.initial && options.initial.length > 0) onData(options.initial);
  });
}
