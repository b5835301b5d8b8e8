import { describe, expect, it } from 'vitest';
import { AudioSocketDecoder } from '../../../src/protocols/audiosocket/decoder.js';
import { encodeInboundMessage } from '../../../src/protocols/audiosocket/inbound-encoder.js';
import type { AudioSocketConnection } from '../../../src/transports/audiosocket/audiosocket-connection.js';
import { rawConnect } from '../../support/net.js';
import { waitFor } from '../../support/wait.js';
import { type CallContext, startHarness } from './harness.js';

const FRAME_BYTES = 16_000;
const FRAMES = 1500; // 24 MB: more than loopback socket buffers hold, so writes queue in Node

describe('AudioSocket outbound frame buffers', () => {
  it('reuses a frame buffer only once the socket has let go of it: queued frames arrive intact', async () => {
    let conn: AudioSocketConnection<CallContext> | undefined;
    const h = await startHarness({
      maxPendingWriteBytes: 64 * 1024 * 1024,
      onConnection: (c) => {
        conn = c;
      },
    });
    const client = await rawConnect(h.port);
    try {
      client.pause(); // read nothing yet: the kernel buffers fill and Node must queue what it is given
      client.write(encodeInboundMessage({ type: 'uuid', uuid: h.register() }));
      await waitFor(() => conn !== undefined, 5000, 'admission');
      const frame = Buffer.alloc(FRAME_BYTES);
      let queued = 0;
      for (let i = 0; i < FRAMES; i++) {
        frame.fill(i % 250); // the caller of sendAudio may reuse its own buffer at once
        expect(conn!.sendAudio(frame)).toBe(true);
        queued = Math.max(queued, conn!.pendingWriteBytes);
      }
      // The test means something only if writes did queue.
      expect(queued).toBeGreaterThan(FRAME_BYTES);
      const decoder = new AudioSocketDecoder({ maxFrameBytes: 65_535 });
      const values: number[] = [];
      let bad = 0;
      client.on('data', (chunk: Buffer) => {
        for (const m of decoder.push(chunk)) {
          if (m.type !== 'audio') continue;
          const v = m.payload[0]!;
          if (m.payload.length !== FRAME_BYTES || m.payload.some((b) => b !== v)) bad += 1;
          values.push(v);
        }
      });
      client.resume();
      await waitFor(() => values.length === FRAMES, 30_000, 'every frame back');
      expect(bad).toBe(0);
      expect(values).toEqual(Array.from({ length: FRAMES }, (_, i) => i % 250));
    } finally {
      client.destroy();
      await h.close();
    }
  });
});
