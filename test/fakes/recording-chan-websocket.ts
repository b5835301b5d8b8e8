import { EventEmitter } from 'node:events';

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
