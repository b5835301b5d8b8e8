import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAN_WEBSOCKET_MAX_MESSAGE_BYTES } from '../../../src/protocols/chan-websocket/index.js';
import { startRecordedLeg } from '../../fakes/recording-chan-websocket.js';

const op = fc.oneof(
  fc.record({ kind: fc.constant('frame' as const), bytes: fc.nat({ max: 70_000 }), silence: fc.boolean() }),
  fc.record({ kind: fc.constant('flush' as const) }),
  fc.record({ kind: fc.constant('xoff' as const) }),
  fc.record({ kind: fc.constant('xon' as const) }),
  fc.record({ kind: fc.constant('ack' as const), seq: fc.nat({ max: 5000 }) }),
);

describe('chan_websocket outbound messages (property)', () => {
  it('never sends a message over 65,500 bytes, and audio only as whole optimal-size frames', () => {
    fc.assert(
      fc.property(fc.constantFrom(160, 320, 640), fc.array(op, { maxLength: 60 }), (frameBytes, ops) => {
        const { ws, leg } = startRecordedLeg(frameBytes);
        let buffering = false;
        for (const o of ops) {
          switch (o.kind) {
            case 'frame':
              leg.sendFrame(Buffer.alloc(o.bytes, 1), { silence: o.silence, utteranceId: 'u1' });
              break;
            case 'flush':
              leg.flushPlayout();
              break;
            case 'xoff':
              ws.fromAsterisk('{"event":"MEDIA_XOFF"}');
              break;
            case 'xon':
              ws.fromAsterisk('{"event":"MEDIA_XON"}');
              break;
            case 'ack':
              ws.fromAsterisk(`{"event":"MEDIA_MARK_PROCESSED","correlation_id":"m${o.seq}"}`);
              break;
          }
          expect(leg.unplayedMs()).toBeGreaterThanOrEqual(0);
        }
        for (const m of ws.sent) {
          expect(m.bytes).toBeLessThanOrEqual(CHAN_WEBSOCKET_MAX_MESSAGE_BYTES);
          if (m.text === '{"command":"START_MEDIA_BUFFERING"}') buffering = true;
          if (m.text?.startsWith('{"command":"STOP_MEDIA_BUFFERING"')) buffering = false;
          if (m.binary && !buffering) expect(m.bytes).toBe(frameBytes);
        }
      }),
      { numRuns: 300 },
    );
  });
});
