import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { adoptWebSocket, detachWebSocket } from '../../../src/transports/media-worker/websocket-handoff.js';

/** A masked client frame (RFC 6455 §5.2): text (opcode 1) or binary (2), payloads under 64 KiB. */
function frame(opcode: 1 | 2, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const header =
    len < 126
      ? Buffer.from([0x80 | opcode, 0x80 | len])
      : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([header, mask, body]);
}
const text = (s: string) => frame(1, Buffer.from(s));

/** The payload of each unmasked server text frame in `data` (short frames only). */
function serverTexts(data: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i + 2 <= data.length; ) {
    const len = data[i + 1]! & 0x7f;
    out.push(data.subarray(i + 2, i + 2 + len).toString());
    i += 2 + len;
  }
  return out;
}

interface Pair {
  server: Server;
  client: Socket;
  ws: WebSocket;
  /** What the client received after the handshake. */
  received: () => Buffer;
}

/** An HTTP server upgrading with `ws` and a raw TCP client that writes its own frames. */
async function pair(): Promise<Pair> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = createServer();
  const accepted = new Promise<WebSocket>((resolve) =>
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, resolve)),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  const key = randomBytes(16).toString('base64');
  client.write(
    `GET /agent HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  let upgraded = false;
  client.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    const end = buf.indexOf('\r\n\r\n');
    if (!upgraded && end >= 0) {
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      expect(buf.subarray(0, end).toString()).toContain(accept);
      upgraded = true;
      buf = buf.subarray(end + 4);
    }
  });
  const ws = await accepted;
  return { server, client, ws, received: () => buf };
}

const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));

describe('handing an open WebSocket over at a frame boundary', () => {
  const pairs: Pair[] = [];
  afterEach(async () => {
    for (const p of pairs.splice(0)) {
      p.client.destroy();
      await new Promise((r) => p.server.close(r));
    }
  });

  it('carries bytes read but not parsed (a partial frame header) to the new owner: every message read once', async () => {
    const p = await pair();
    pairs.push(p);
    const before: string[] = [];
    p.ws.on('message', (d: RawData) => before.push(d.toString()));
    const claimed = new Promise<void>((r) => p.ws.once('message', () => r()));
    // The claim and the first byte of the next frame arrive together.
    const next = text('audio-1');
    p.client.write(Buffer.concat([text('claim'), next.subarray(0, 1)]));
    await claimed;
    const { socket, head } = await detachWebSocket(p.ws);
    expect(head.length).toBe(1);
    // Sent while the socket is between owners: stays in the kernel for the next one.
    p.client.write(Buffer.concat([next.subarray(1), text('audio-2')]));
    await settle();
    const after: string[] = [];
    const adopted = adoptWebSocket(socket, head);
    adopted.on('message', (d: RawData) => after.push(d.toString()));
    await settle();
    expect(before).toEqual(['claim']);
    expect(after).toEqual(['audio-1', 'audio-2']);
    // The old object is inert; the new one speaks to the client (unmasked server frames).
    p.ws.send('from the old owner');
    adopted.send('from the new owner');
    await settle();
    expect(serverTexts(p.received())).toEqual(['from the new owner']);
  });

  it('waits while the peer is in the middle of a frame, then hands over from the next one', async () => {
    const p = await pair();
    pairs.push(p);
    const before: string[] = [];
    p.ws.on('message', (d: RawData) => {
      const b = d as Buffer;
      before.push(b.length > 20 ? `binary:${b.length}` : b.toString());
    });
    const claimed = new Promise<void>((r) => p.ws.once('message', () => r()));
    const big = frame(2, randomBytes(1000));
    p.client.write(Buffer.concat([text('claim'), big.subarray(0, 300)]));
    await claimed;
    let detached = false;
    const detaching = detachWebSocket(p.ws).then((d) => {
      detached = true;
      return d;
    });
    await settle();
    expect(detached).toBe(false);
    // The rest of the frame completes it; the hand-over happens at the boundary after it.
    p.client.write(big.subarray(300));
    const { socket, head } = await detaching;
    p.client.write(text('later'));
    const after: string[] = [];
    adoptWebSocket(socket, head).on('message', (d: RawData) => after.push(d.toString()));
    await settle();
    expect(before).toEqual(['claim', 'binary:1000']);
    expect(after).toEqual(['later']);
  });

  it('gives a whole frame carried in head to a listener attached after a promise resolves with the WebSocket', async () => {
    const p = await pair();
    pairs.push(p);
    const claimed = new Promise<void>((r) => p.ws.once('message', () => r()));
    p.client.write(text('claim'));
    await claimed;
    const { socket, head } = await detachWebSocket(p.ws);
    // As a worker gets it, in an I/O callback that resolves a waiter: the bytes the primary read (here a whole
    // frame) come first, then the socket's.
    const adopted = await new Promise<WebSocket>((resolve) =>
      setImmediate(() => resolve(adoptWebSocket(socket, Buffer.concat([head, text('in-head')])))),
    );
    const after: string[] = [];
    adopted.on('message', (d: RawData) => after.push(d.toString()));
    p.client.write(text('on-the-socket'));
    await settle();
    expect(after).toEqual(['in-head', 'on-the-socket']);
  });

  it('refuses a WebSocket that is not open', async () => {
    const p = await pair();
    pairs.push(p);
    p.ws.terminate();
    await expect(detachWebSocket(p.ws)).rejects.toMatchObject({ code: 'WEBSOCKET_HANDOFF_FAILED' });
  });
});
