import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { forkModule } from '../../../src/transports/media-worker/fork-module.js';
import { detachUpgrade } from '../../../src/transports/media-worker/upgrade-handoff.js';
import { waitFor } from '../../support/wait.js';

/** A masked WebSocket text frame, as a client sends it (payload under 126 bytes). */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** The status line and the text messages of a server's unmasked frames (payloads under 126 bytes), so far. */
function parseReply(bytes: Buffer): { status: string | undefined; texts: string[] } {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { status: undefined, texts: [] };
  const status = bytes.subarray(0, bytes.indexOf('\r\n')).toString();
  const texts: string[] = [];
  let at = end + 4;
  while (at + 2 <= bytes.length) {
    const len = bytes[at + 1]! & 0x7f;
    if (at + 2 + len > bytes.length) break;
    if ((bytes[at]! & 0x0f) === 1) texts.push(bytes.subarray(at + 2, at + 2 + len).toString());
    at += 2 + len;
  }
  return { status, texts };
}

describe('handing an HTTP upgrade to another process before the WebSocket handshake', () => {
  let child: ChildProcess | undefined;
  let server: Server | undefined;
  let client: Socket | undefined;
  afterEach(async () => {
    client?.destroy();
    if (child?.connected) child.disconnect();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    child = undefined;
    server = undefined;
    client = undefined;
  });

  it('the other process completes the handshake; bytes sent with and right after the request are not lost', async () => {
    child = forkModule(new URL('../../support/handed-upgrade-child.ts', import.meta.url));
    const childErrors: unknown[] = [];
    child.on('message', (m) => childErrors.push(m));
    const handed: { url: string; headBytes: number }[] = [];
    server = createServer((_req, res) => res.writeHead(426).end());
    server.on('upgrade', (req, socket, head) => {
      const detached = detachUpgrade(req, socket, head);
      if (!detached) return void socket.destroy();
      handed.push({ url: detached.upgrade.url, headBytes: Buffer.from(detached.upgrade.head, 'base64').length });
      child!.send({ upgrade: detached.upgrade }, detached.socket);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    const socket = connect(port, '127.0.0.1');
    client = socket;
    const received: Buffer[] = [];
    socket.on('data', (d) => received.push(d));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const request = [
      'GET /media?ava_media=abc HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n');
    // The first message comes in the same write as the request (the server's `head`); the next ones follow at once,
    // while the socket is on its way to the other process, before any answer to the handshake.
    socket.write(Buffer.concat([Buffer.from(request), clientTextFrame('one')]));
    socket.write(clientTextFrame('two'));
    setImmediate(() => socket.write(clientTextFrame('three')));
    await waitFor(() => parseReply(Buffer.concat(received)).texts.length === 3, 10_000, 'three echoes');
    const reply = parseReply(Buffer.concat(received));
    expect(reply.status).toBe('HTTP/1.1 101 Switching Protocols');
    expect(reply.texts).toEqual(['echo:one', 'echo:two', 'echo:three']);
    expect(handed).toHaveLength(1);
    expect(handed[0]!.url).toBe('/media?ava_media=abc');
    expect(childErrors).toEqual([]);
    // The other process holds the connection: it goes on answering after more messages.
    socket.write(clientTextFrame('four'));
    await waitFor(() => parseReply(Buffer.concat(received)).texts.length === 4, 10_000, 'fourth echo');
    expect(parseReply(Buffer.concat(received)).texts[3]).toBe('echo:four');
  });
});
