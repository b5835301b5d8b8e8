import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { encodeAudioFrame } from '../../src/protocols/audiosocket/encoder.js';
import { encodeInboundMessage } from '../../src/protocols/audiosocket/inbound-encoder.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { startTestApp } from '../support/app-harness.js';
import { waitFor } from '../support/wait.js';
import { rawConnect } from '../support/net.js';

describe('the Asterisk side closes mid-frame', () => {
  let app: App | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const c of calls.splice(0)) await c.hangup().catch(() => {});
    await app?.stop(2000);
    app = undefined;
  });

  it('half a frame then FIN ends only that call, with a reason, and the others keep flowing', async () => {
    const started = await startTestApp();
    app = started.app;
    const ended = new Map<string, { reason: string }>();
    app.registry.on('added', (s) =>
      s.on('ended', (sum) => ended.set(String(s.info.customParameters.audiosocketUuid), sum)),
    );
    const echoed = new Map<string, number>();
    const tone = new Int16Array(1600).map((_, i) => Math.round(6000 * Math.sin(i / 3)));
    for (let i = 0; i < 4; i++) {
      const uuid = randomUUID();
      calls.push(
        await dialAudioSocket({
          host: '127.0.0.1',
          port: started.port,
          uuid,
          source: { type: 'samples', samples: tone, loop: true },
          recordReceived: false,
          onFrame: (f) => {
            if (f.kind === 0x10 && f.payload?.some((b) => b !== 0)) echoed.set(uuid, (echoed.get(uuid) ?? 0) + 1);
          },
        }),
      );
    }
    await waitFor(() => calls.every((c) => (echoed.get(c.uuid) ?? 0) > 10), 10_000, 'good calls echoing');

    const uuid = randomUUID();
    const s = await rawConnect(started.port);
    sockets.push(s);
    s.on('error', () => {});
    s.resume();
    s.write(encodeInboundMessage({ type: 'uuid', uuid }));
    for (let i = 0; i < 10; i++) s.write(encodeAudioFrame(0x10, Buffer.alloc(320, 5)));
    await waitFor(() => app!.registry.size === 5, 10_000, 'the raw call admitted');
    // Header for 320 bytes, 160 of them, then FIN.
    s.end(Buffer.concat([Buffer.from([0x10, 0x01, 0x40]), Buffer.alloc(160, 5)]));
    await waitFor(() => ended.has(uuid), 10_000, 'the truncated call ended');
    // Asterisk closing the socket is how a caller hangup looks on a dialplan-direct call; the half frame is dropped.
    expect(ended.get(uuid)!.reason).toBe('caller_hangup');
    await new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

    // Only that call: the four others are open and still echoing.
    expect(ended.size).toBe(1);
    expect(app.registry.size).toBe(4);
    const before = new Map(echoed);
    await waitFor(
      () => calls.every((c) => (echoed.get(c.uuid) ?? 0) > (before.get(c.uuid) ?? 0) + 10),
      10_000,
      'good calls still echoing',
    );
    expect(calls.every((c) => c.state === 'open')).toBe(true);
    // The close was logged with the call's UUID.
    expect(started.logs.raw.some((l) => l.includes(uuid) && /closed|ended/.test(l))).toBe(true);
  });
});
