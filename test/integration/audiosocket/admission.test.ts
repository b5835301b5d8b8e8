import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAudioFrame } from '../../../src/protocols/audiosocket/encoder.js';
import { encodeInboundMessage } from '../../../src/protocols/audiosocket/inbound-encoder.js';
import { dialAudioSocket } from '../../../src/simulator/audiosocket-dialer.js';
import type { AudioSocketRejection } from '../../../src/transports/audiosocket/audiosocket-server.js';
import { UuidRegistry } from '../../../src/transports/audiosocket/uuid-registry.js';
import { type Harness, memoryLogger, startHarness } from './harness.js';
import { AudioSocketServer } from '../../../src/transports/audiosocket/audiosocket-server.js';
import { closedByPeer, rawConnect } from '../../support/net.js';

function nextRejection(h: { server: { once: Harness['server']['once'] } }): Promise<AudioSocketRejection> {
  return new Promise((resolve) => h.server.once('rejected', resolve));
}

describe('AudioSocket admission', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function harness(opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
    const h = await startHarness(opts);
    cleanups.push(() => h.close());
    return h;
  }

  it('takes many handshakes at once without a listener-leak warning', async () => {
    const h = await harness({ handshakeTimeoutMs: 5000 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    cleanups.push(() => process.off('warning', onWarning));
    // 30 connections that have not sent their UUID yet: 30 handshakes waiting together.
    const sockets = await Promise.all(Array.from({ length: 30 }, () => rawConnect(h.port)));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect(sockets.every((s) => !s.destroyed)).toBe(true);
  });

  it('rejects an unregistered UUID with a log line naming the UUID and why', async () => {
    const h = await harness();
    const uuid = randomUUID();
    const rejected = nextRejection(h);
    const call = await dialAudioSocket({ host: h.host, port: h.port, uuid });
    cleanups.push(() => call.hangup());
    expect(await rejected).toMatchObject({ uuid, reason: 'unknown_uuid' });
    expect((await call.closed).by).toBe('remote');
    const line = h.lines.find((l) => l.uuid === uuid && l.reason === 'unknown_uuid');
    expect(line?.msg).toBe(`AudioSocket connection rejected: UUID ${uuid} is not registered`);
    expect(h.server.counters.connectionsRejected).toBe(1);
    expect(h.connections.size).toBe(0);
  });

  it('rejects an expired UUID, saying it expired', async () => {
    let now = 1000;
    const registry = new UuidRegistry<{ name: string }>({ now: () => now });
    const { logger, lines } = memoryLogger();
    const server = new AudioSocketServer({
      host: '127.0.0.1',
      port: 0,
      maxFrameBytes: 8192,
      handshakeTimeoutMs: 5000,
      idleTimeoutMs: 15_000,
      admission: registry,
      logger,
    });
    const { port } = await server.listen();
    cleanups.push(() => server.close());
    const uuid = randomUUID();
    registry.register(uuid, { name: 'late' }, 500);
    now += 501;
    const rejected = new Promise<AudioSocketRejection>((resolve) => server.once('rejected', resolve));
    const call = await dialAudioSocket({ host: '127.0.0.1', port, uuid });
    cleanups.push(() => call.hangup());
    expect(await rejected).toMatchObject({ uuid, reason: 'expired_uuid' });
    await call.closed;
    expect(lines.find((l) => l.uuid === uuid)?.msg).toBe(
      `AudioSocket connection rejected: UUID ${uuid} was registered but expired before it connected`,
    );
  });

  it('admits a registered UUID once only', async () => {
    const h = await harness();
    const uuid = h.register('once');
    const first = await dialAudioSocket({ host: h.host, port: h.port, uuid });
    cleanups.push(() => first.hangup());
    const rejected = nextRejection(h);
    const second = await dialAudioSocket({ host: h.host, port: h.port, uuid });
    cleanups.push(() => second.hangup());
    expect(await rejected).toMatchObject({ uuid, reason: 'unknown_uuid' });
    expect(h.connections.get(uuid)?.context).toEqual({ name: 'once' });
  });

  it('closes a connection that sends no UUID within handshakeTimeoutMs', async () => {
    const h = await harness({ handshakeTimeoutMs: 300 });
    const rejected = nextRejection(h);
    const s = await rawConnect(h.port);
    cleanups.push(() => s.destroy());
    expect(await rejected).toMatchObject({ uuid: undefined, reason: 'handshake_timeout' });
    await closedByPeer(s);
    expect(h.lines.some((l) => l.msg === 'AudioSocket connection rejected: no UUID frame within 300 ms')).toBe(true);
    expect(h.server.counters.handshakeFailures).toBe(1);
  });

  it('closes a connection whose first frame is audio, not the UUID', async () => {
    const h = await harness();
    const rejected = nextRejection(h);
    const s = await rawConnect(h.port);
    cleanups.push(() => s.destroy());
    s.write(encodeAudioFrame(0x10, Buffer.alloc(320)));
    const r = await rejected;
    expect(r.reason).toBe('protocol_error');
    expect(r.error).toMatchObject({ code: 'AUDIOSOCKET_UUID_REQUIRED' });
    await closedByPeer(s);
  });

  it('delivers audio that arrives in the same TCP segment as the UUID', async () => {
    const h = await harness({
      onConnection: (conn) => {
        conn.on('audio', (a) => {
          if (a.payload[0] === 42) void conn.hangup();
        });
      },
    });
    const uuid = h.register();
    const s = await rawConnect(h.port);
    cleanups.push(() => s.destroy());
    s.write(
      Buffer.concat([encodeInboundMessage({ type: 'uuid', uuid }), encodeAudioFrame(0x12, Buffer.alloc(640, 42))]),
    );
    await closedByPeer(s);
    expect(await h.connections.get(uuid)?.closed).toEqual({ reason: 'hangup_sent' });
    expect(h.connections.get(uuid)?.inboundKind).toBe(0x12);
  });
});
