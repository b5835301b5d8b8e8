import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { WebSocket } from 'ws';
import { PCM8K } from '../../src/audio/format.js';
import { ChanWebSocketLeg } from '../../src/calls/chan-websocket-leg.js';
import { ChanWebSocketConnection } from '../../src/transports/chan-websocket/chan-websocket-connection.js';

/** A stand-in for the `ws` socket under a chan_websocket connection: records what is sent, injects Asterisk's messages. */
export class RecordingSocket extends EventEmitter {
  binaryType = 'nodebuffer';
  bufferedAmount = 0;
  readonly sent: { binary: boolean; bytes: number; text?: string }[] = [];
  send(data: Buffer | string, opts: { binary: boolean }): void {
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    this.sent.push({ binary: opts.binary, bytes, ...(typeof data === 'string' ? { text: data } : {}) });
  }
  close(): void {
    this.emit('close', 1000);
  }
  terminate(): void {
    this.emit('close', 1006);
  }
  fromAsterisk(text: string): void {
    this.emit('message', Buffer.from(text), false);
  }
  /** The text commands sent so far, in order. */
  commands(): string[] {
    return this.sent.flatMap((m) => (m.text === undefined ? [] : [m.text]));
  }
}

/** A chan_websocket leg (Asterisk pacing, slin) on a recording socket, after MEDIA_START with `frameBytes` frames. */
export function startRecordedLeg(frameBytes = 320): { ws: RecordingSocket; leg: ChanWebSocketLeg } {
  const ws = new RecordingSocket();
  const logger = pino({ level: 'silent' });
  const conn = new ChanWebSocketConnection(ws as unknown as WebSocket, { controlFormat: 'json', logger });
  const leg = new ChanWebSocketLeg({
    id: 'c1',
    connection: conn,
    expectedFormat: PCM8K,
    pacing: 'asterisk',
    leadMs: 1000,
    logger,
  });
  ws.fromAsterisk(
    JSON.stringify({
      event: 'MEDIA_START',
      connection_id: 'c1',
      channel: 'WebSocket/INCOMING/0x1',
      format: 'slin',
      optimal_frame_size: frameBytes,
      ptime: 20,
    }),
  );
  return { ws, leg };
}
