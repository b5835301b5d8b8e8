import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAudioFrame } from '../../../src/protocols/audiosocket/encoder.js';
import { encodeInboundMessage } from '../../../src/protocols/audiosocket/inbound-encoder.js';
import type { AudioSocketAdmission } from '../../../src/transports/audiosocket/admission.js';
import type { AudioSocketConnection } from '../../../src/transports/audiosocket/audiosocket-connection.js';
import { AudioSocketServer } from '../../../src/transports/audiosocket/audiosocket-server.js';
import { rawConnect } from '../../support/net.js';
import { waitFor } from '../../support/wait.js';
import { memoryLogger } from './harness.js';

function server<C>(admission: AudioSocketAdmission<C>): AudioSocketServer<C> {
  return new AudioSocketServer<C>({
    host: '127.0.0.1',
    port: 0,
    maxFrameBytes: 8192,
    handshakeTimeoutMs: 5000,
    idleTimeoutMs: 0,
    admission,
    logger: memoryLogger().logger,
  });
}

describe('AudioSocket hand-over (media workers)', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('hands an admitted socket over with every byte read, and the adopting server serves it from its first frame', async () => {
    const uuid = randomUUID();
    const handed: { socket: Socket; raw: Buffer }[] = [];
    const primary = server<string>({
      admit: (u) => ({ accept: true, context: u }),
      handOff: (_uuid, _ctx, socket, raw) => {
        handed.push({ socket, raw });
        return true;
      },
    });
    const worker = server<string>({ admit: (u) => ({ accept: u === uuid, reason: 'unknown_uuid', context: u }) });
    cleanups.push(
      () => primary.close(),
      () => worker.close(),
    );
    const primaryConnections: unknown[] = [];
    primary.on('connection', (c) => primaryConnections.push(c));
    const adopted: AudioSocketConnection<string>[] = [];
    const payloads: Buffer[] = [];
    worker.on('connection', (c) => {
      adopted.push(c);
      c.on('audio', (a) => payloads.push(Buffer.from(a.payload)));
    });
    const { port } = await primary.listen();
    await worker.listen();

    const client = await rawConnect(port);
    cleanups.push(() => client.destroy());
    // The UUID and the first audio frame in one write: the primary reads both before it decides.
    const first = Buffer.alloc(320, 7);
    client.write(Buffer.concat([encodeInboundMessage({ type: 'uuid', uuid }), encodeAudioFrame(0x10, first)]));
    await waitFor(() => handed.length === 1, 5000, 'hand-over');
    expect(handed[0]!.raw.length).toBeGreaterThan(3 + 16);
    expect(primaryConnections).toHaveLength(0);

    worker.adopt(handed[0]!.socket, handed[0]!.raw);
    await waitFor(() => adopted.length === 1, 5000, 'adopted connection');
    expect(adopted[0]!.uuid).toBe(uuid);
    // Bytes after the hand-over come through the same socket.
    const second = Buffer.alloc(320, 9);
    client.write(encodeAudioFrame(0x10, second));
    await waitFor(() => payloads.length === 2, 5000, 'both frames');
    expect(payloads).toEqual([first, second]);
    // And the adopting server writes back on it.
    const back: Buffer[] = [];
    client.on('data', (d: Buffer) => back.push(d));
    adopted[0]!.sendAudio(Buffer.alloc(320, 1));
    await waitFor(() => Buffer.concat(back).length >= 323, 5000, 'frame back to the client');
  });
});
