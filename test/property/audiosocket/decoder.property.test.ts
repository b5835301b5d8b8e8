import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors/protocol-error.js';
import { AudioSocketDecoder } from '../../../src/protocols/audiosocket/decoder.js';
import { DTMF_DIGITS } from '../../../src/protocols/audiosocket/dtmf.js';
import { encodeInboundMessage } from '../../../src/protocols/audiosocket/inbound-encoder.js';
import { AUDIO_KIND_SAMPLE_RATE, AUDIO_KINDS } from '../../../src/protocols/audiosocket/kinds.js';
import type { AudioSocketMessage } from '../../../src/protocols/audiosocket/messages.js';
import { uuidFromBytes } from '../../../src/protocols/audiosocket/uuid.js';

const MAX = 2048;

const message: fc.Arbitrary<AudioSocketMessage> = fc.oneof(
  fc
    .uint8Array({ minLength: 16, maxLength: 16 })
    .filter((b) => b.some((x) => x !== 0))
    .map((b) => ({ type: 'uuid' as const, uuid: uuidFromBytes(b) })),
  fc.constantFrom(...DTMF_DIGITS).map((digit) => ({ type: 'dtmf' as const, digit })),
  fc.tuple(fc.constantFrom(...AUDIO_KINDS), fc.uint8Array({ minLength: 1, maxLength: MAX })).map(([kind, bytes]) => ({
    type: 'audio' as const,
    kind,
    sampleRate: AUDIO_KIND_SAMPLE_RATE[kind],
    payload: Buffer.from(bytes),
  })),
  fc.integer({ min: 0, max: 255 }).map((code) => ({ type: 'error' as const, code })),
  fc.constant({ type: 'hangup' as const }),
);

/** Cuts `buf` at the given (sorted, deduplicated) offsets. */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    parts.push(buf.subarray(prev, p));
    prev = p;
  }
  return parts;
}

describe('AudioSocketDecoder properties', () => {
  it('decode(split(encode(messages))) equals the messages, for any TCP segmentation', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), (messages, cuts) => {
        const stream = Buffer.concat(messages.map((m) => encodeInboundMessage(m)));
        const decoder = new AudioSocketDecoder({ maxFrameBytes: MAX });
        const out: AudioSocketMessage[] = [];
        for (const part of split(stream, cuts)) {
          decoder.push(part, out);
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(3 + MAX);
        }
        expect(decoder.bufferedBytes).toBe(0);
        expect(out).toEqual(messages);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but ProtocolError on random bytes, and never buffers more than one frame', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 20 }),
        fc.integer({ min: 16, max: 1024 }),
        (chunks, maxFrameBytes) => {
          const decoder = new AudioSocketDecoder({ maxFrameBytes });
          for (const chunk of chunks) {
            try {
              decoder.push(Buffer.from(chunk));
            } catch (err) {
              expect(err).toBeInstanceOf(ProtocolError);
              expect((err as ProtocolError).code).toMatch(/^AUDIOSOCKET_/);
              return;
            }
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(3 + maxFrameBytes);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a valid prefix followed by garbage yields the prefix messages before the ProtocolError', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 10 }), fc.integer({ min: 0x04, max: 0x0f }), (messages, badKind) => {
        const stream = Buffer.concat([
          ...messages.map((m) => encodeInboundMessage(m)),
          Buffer.from([badKind, 0, 1, 0]),
        ]);
        const out: AudioSocketMessage[] = [];
        expect(() => new AudioSocketDecoder({ maxFrameBytes: MAX }).push(stream, out)).toThrow(ProtocolError);
        expect(out).toEqual(messages);
      }),
      { numRuns: 200 },
    );
  });
});
