import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { encodeAudioFrame } from '../../src/protocols/audiosocket/encoder.js';
import { encodeInboundMessage } from '../../src/protocols/audiosocket/inbound-encoder.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { startTestApp } from '../support/app-harness.js';
import { waitFor } from '../support/wait.js';

/** Cases per property: 1000 in CI; `scripts/fuzz-long.ts` sets FUZZ_MULTIPLIER for long runs. */
const RUNS = Math.round(1000 * Number(process.env.FUZZ_MULTIPLIER ?? 1));
const TIMEOUT_MS = 120_000 * Math.max(1, Number(process.env.FUZZ_MULTIPLIER ?? 1));

/** Writes the chunks to a fresh connection, half-closes, and resolves once the server has closed it too. */
function sendAndWaitClose(port: number, chunks: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const s: Socket = connect({ host: '127.0.0.1', port }, () => {
      for (const c of chunks) s.write(c);
      s.end();
    });
    s.on('data', (d: Buffer) => {
      received += d.length;
    });
    s.on('error', () => {});
    s.once('close', () => resolve(received));
    s.setTimeout(20_000, () => {
      s.destroy();
      reject(new Error('server kept a fuzzed connection open after FIN for 20 s'));
    });
  });
}

function cut(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(buf.subarray(at, p));
    at = p;
  }
  out.push(buf.subarray(at));
  return out.filter((b) => b.length > 0);
}

const frame = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map((n) => encodeAudioFrame(0x10, Buffer.alloc(n * 2, 7))),
  fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b)),
  fc
    .record({ kind: fc.integer({ min: 0, max: 255 }), len: fc.integer({ min: 0, max: 65535 }) })
    .map(({ kind, len }) => Buffer.from([kind, len >> 8, len & 0xff])),
  fc.constant(Buffer.from([0x03, 0x00, 0x01, 0x35])),
  fc.constant(Buffer.from([0x00, 0x00, 0x00])),
);

/** A hostile AudioSocket byte stream: maybe a valid UUID frame first, then anything, in any TCP segmentation. */
const hostileStream = fc
  .record({
    head: fc.oneof(
      fc.constant('uuid' as const),
      fc.constant('none' as const),
      fc.uint8Array({ minLength: 1, maxLength: 19 }).map((b) => Buffer.from(b)),
    ),
    body: fc.array(frame, { maxLength: 8 }),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  })
  .map(({ head, body, cuts }) => {
    const prefix =
      head === 'uuid'
        ? encodeInboundMessage({ type: 'uuid', uuid: randomUUID() })
        : head === 'none'
          ? Buffer.alloc(0)
          : head;
    return cut(Buffer.concat([prefix, ...body]), cuts);
  });

describe('fuzzed AudioSocket byte streams against the running service', () => {
  let app: App;
  let port: number;
  let good: SimulatedAudioSocketCall;
  let echoed = 0;

  beforeAll(async () => {
    const started = await startTestApp({ AUDIOSOCKET_HANDSHAKE_TIMEOUT_MS: '3000' });
    app = started.app;
    port = started.port;
    const tone = new Int16Array(1600).map((_, i) => Math.round(6000 * Math.sin(i / 3)));
    good = await dialAudioSocket({
      host: '127.0.0.1',
      port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: tone, loop: true },
      recordReceived: false,
      recordSent: false,
      onFrame: (f) => {
        if (f.kind === 0x10 && f.payload?.some((b) => b !== 0)) echoed += 1;
      },
    });
    await waitFor(() => echoed > 10, 10_000, 'the good call echoing');
  });

  afterAll(async () => {
    await good?.hangup().catch(() => {});
    await app?.stop(2000);
  });

  it(
    `every hostile stream is closed, the service stays up and the healthy call keeps flowing (${RUNS} cases)`,
    async () => {
      const before = echoed;
      await fc.assert(
        fc.asyncProperty(hostileStream, async (chunks) => {
          await sendAndWaitClose(port, chunks);
        }),
        { numRuns: RUNS },
      );
      // Only the healthy call is left; it kept echoing throughout and is still open.
      await waitFor(() => app.audioSocket.connections.size === 1, 10_000, 'fuzzed connections gone');
      await waitFor(() => app.registry.size === 1, 10_000, 'fuzzed calls gone');
      expect(good.state).toBe('open');
      await waitFor(() => echoed > before + 25, 10_000, 'the healthy call still echoing');
      // And the server still takes new calls.
      const fresh = await dialAudioSocket({ host: '127.0.0.1', port, uuid: randomUUID() });
      await waitFor(() => fresh.framesReceived > 5, 10_000, 'a new call after fuzzing');
      await fresh.hangup();
    },
    TIMEOUT_MS,
  );
});
