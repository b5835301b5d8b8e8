import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import type { CallSession } from '../../../src/calls/call-session.js';
import { encodeInboundMessage } from '../../../src/protocols/audiosocket/inbound-encoder.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../../src/simulator/audiosocket-dialer.js';
import type { AudioSocketRejection } from '../../../src/transports/audiosocket/audiosocket-server.js';
import { startTestApp } from '../../support/app-harness.js';
import { waitFor } from '../../support/wait.js';
import { closedByPeer, rawConnect } from '../../support/net.js';

/** Writes `bytes` one byte every `intervalMs` until done or the peer closes; resolves with the bytes written. */
async function dribble(s: Socket, bytes: Buffer, intervalMs: number): Promise<number> {
  let sent = 0;
  const gone = closedByPeer(s).then(() => 'closed' as const);
  while (sent < bytes.length) {
    const next = await Promise.race([gone, new Promise((r) => setTimeout(() => r('tick'), intervalMs))]);
    if (next === 'closed' || s.destroyed) break;
    s.write(bytes.subarray(sent, sent + 1));
    sent += 1;
  }
  return sent;
}

/** Writes as fast as the socket takes it, up to `total` bytes, until the peer closes; resolves with the bytes queued. */
async function flood(s: Socket, head: Buffer, total: number): Promise<number> {
  let queued = 0;
  let gone = false;
  const done = closedByPeer(s).then(() => {
    gone = true;
  });
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  s.write(head);
  while (!gone && queued < total) {
    queued += chunk.length;
    if (!s.write(chunk)) await Promise.race([done, new Promise((r) => s.once('drain', r))]);
  }
  s.end();
  await done;
  return queued;
}

describe('AudioSocket port abuse through the running service', () => {
  let app: App | undefined;
  const sockets: Socket[] = [];
  const calls: SimulatedAudioSocketCall[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const c of calls.splice(0)) await c.hangup().catch(() => {});
    await app?.stop(2000);
    app = undefined;
  });

  it('with no catch-all route, an unknown UUID and an expired one are rejected and make no call', async () => {
    const started = await startTestApp({ DEFAULT_AGENT: 'none' });
    app = started.app;
    const rejections: AudioSocketRejection[] = [];
    app.audioSocket.on('rejected', (r) => rejections.push(r));

    const unknown = randomUUID();
    const a = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: unknown });
    calls.push(a);
    expect((await a.closed).by).toBe('remote');

    const expired = randomUUID();
    app.expectedUuids.register(expired, {} as CallSession, 1);
    await waitFor(() => !app!.expectedUuids.has(expired), 5000, 'the UUID to expire');
    const b = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: expired });
    calls.push(b);
    expect((await b.closed).by).toBe('remote');

    await waitFor(() => rejections.length === 2);
    expect(rejections.map((r) => [r.uuid, r.reason])).toEqual([
      [unknown, 'unknown_uuid'],
      [expired, 'expired_uuid'],
    ]);
    expect(a.received.filter((f) => f.kind === 0x10)).toHaveLength(0);
    expect(app.registry.size).toBe(0);
    expect(app.audioSocket.connections.size).toBe(0);
  });

  it('slow-loris: UUID frames sent a byte at a time slower than the handshake timeout are cut, calls go on', async () => {
    const started = await startTestApp({ AUDIOSOCKET_HANDSHAKE_TIMEOUT_MS: '400' });
    app = started.app;
    let echoed = 0;
    const good = await dialAudioSocket({
      host: '127.0.0.1',
      port: started.port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: new Int16Array(1600).fill(3000), loop: true },
      recordReceived: false,
      onFrame: (f) => {
        if (f.kind === 0x10 && f.payload?.some((x) => x !== 0)) echoed += 1;
      },
    });
    calls.push(good);
    const rejections: AudioSocketRejection[] = [];
    app.audioSocket.on('rejected', (r) => rejections.push(r));
    const LORIS = 30;
    const frame = encodeInboundMessage({ type: 'uuid', uuid: randomUUID() });
    const conns = await Promise.all(Array.from({ length: LORIS }, () => rawConnect(started.port)));
    sockets.push(...conns);
    // 19 bytes at one per 100 ms would take 1.9 s; the handshake allows 400 ms.
    const sent = await Promise.all(conns.map((s) => dribble(s, frame, 100)));
    for (const n of sent) expect(n).toBeLessThan(frame.length);
    await waitFor(() => rejections.length === LORIS, 10_000, 'every slow connection rejected');
    expect(new Set(rejections.map((r) => r.reason))).toEqual(new Set(['handshake_timeout']));
    expect(app.audioSocket.counters.handshakeFailures).toBe(LORIS);
    const before = echoed;
    await waitFor(() => echoed > before + 10, 10_000, 'the good call still flowing');
    expect(app.audioSocket.connections.size).toBe(1);
  });

  it('oversized frames: a flood behind a too-long header is cut at the header, with bounded reads and memory', async () => {
    const started = await startTestApp({ AUDIOSOCKET_MAX_FRAME_BYTES: '8192' });
    app = started.app;
    const closes: string[] = [];
    app.registry.on('added', (s) => s.on('ended', (sum) => closes.push(sum.reason)));
    const FLOODS = 10;
    const PER_FLOOD = 8 * 1024 * 1024;
    const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
    const conns = await Promise.all(Array.from({ length: FLOODS }, () => rawConnect(started.port)));
    sockets.push(...conns);
    const heads = conns.map(() =>
      // A valid UUID, then an audio frame header claiming 65535 bytes (over the 8192 limit).
      Buffer.concat([encodeInboundMessage({ type: 'uuid', uuid: randomUUID() }), Buffer.from([0x10, 0xff, 0xff])]),
    );
    await Promise.all(conns.map((s, i) => flood(s, heads[i]!, PER_FLOOD)));
    await waitFor(() => app!.audioSocket.connections.size === 0 && app!.registry.size === 0, 10_000, 'all cut');
    const counters = app.audioSocket.counters;
    expect(counters.protocolErrors).toBe(FLOODS);
    // What the server read is a small fraction of what was thrown at it: it stopped reading at the bad header.
    expect(counters.bytesIn).toBeLessThan((FLOODS * PER_FLOOD) / 8);
    const growthMb = (process.memoryUsage().arrayBuffers - arrayBuffersBefore) / 1024 / 1024;
    expect(growthMb).toBeLessThan(32);
    // Each was a call that ended with a reason.
    await waitFor(() => closes.length === FLOODS, 10_000, 'every flooded call ended');
    expect(closes.every((r) => r.length > 0)).toBe(true);
  });

  it('frames under the limit but never finished hold at most one frame each, and idle connections are cut', async () => {
    const started = await startTestApp({ AUDIOSOCKET_MAX_FRAME_BYTES: '8192', AUDIOSOCKET_IDLE_TIMEOUT_MS: '500' });
    app = started.app;
    const N = 100;
    const conns = await Promise.all(Array.from({ length: N }, () => rawConnect(started.port)));
    sockets.push(...conns);
    // Each: a UUID, then a frame header for 8192 bytes followed by 8000 of them, then silence.
    for (const s of conns) {
      s.write(
        Buffer.concat([
          encodeInboundMessage({ type: 'uuid', uuid: randomUUID() }),
          Buffer.from([0x10, 0x20, 0x00]),
          Buffer.alloc(8000, 1),
        ]),
      );
    }
    await waitFor(() => app!.audioSocket.counters.bytesIn >= N * 8022, 10_000, 'all bytes read');
    await Promise.all(conns.map(closedByPeer));
    await waitFor(() => app!.audioSocket.connections.size === 0, 10_000, 'idle connections cut');
    // Cut by the dialplan-direct silence limit: no audio frame for AUDIOSOCKET_IDLE_TIMEOUT_MS ends the call.
    const metrics = (await app.metrics.render()).body;
    expect(metrics).toContain(`ava_calls_total{outcome="media_timeout"} ${N}`);
    // Only the UUID frames were ever complete: no audio frame was delivered from the unfinished ones.
    expect(app.audioSocket.counters.framesIn).toBe(N);
  });
});
