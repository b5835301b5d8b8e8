import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PCM8K } from '../../../src/audio/format.js';
import { PlayoutBuffer } from '../../../src/audio/playout-buffer.js';

type Op = { op: 'push'; bytes: number; id: number } | { op: 'take' } | { op: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('push' as const),
      bytes: fc.integer({ min: 0, max: 2000 }),
      id: fc.integer({ min: 0, max: 3 }),
    }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('take' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
);

describe('PlayoutBuffer (property)', () => {
  it('every accepted byte is either taken once, in order, or reported dropped', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 1000 });
        let counter = 0;
        const accepted: number[] = [];
        const taken: number[] = [];
        let dropped = 0;
        for (const o of ops) {
          if (o.op === 'push') {
            // Sample values count up so order and identity of bytes can be checked.
            const n = o.bytes - (o.bytes % 2);
            const buf = Buffer.alloc(n);
            const values: number[] = [];
            for (let i = 0; i < n; i += 2) {
              counter = (counter % 30000) + 1;
              buf.writeInt16LE(counter, i);
              values.push(counter);
            }
            const r = pb.push(buf, `u${o.id}`);
            accepted.push(...values.slice(0, r.acceptedBytes / 2));
          } else if (o.op === 'take') {
            const f = pb.take();
            if (f) for (let i = 0; i < f.data.length; i += 2) taken.push(f.data.readInt16LE(i));
          } else {
            dropped += pb.clear().droppedMs * 8; // samples at 8 kHz
          }
          expect(pb.bufferedBytes).toBeLessThanOrEqual(pb.maxBytes);
        }
        // Drain what is left (partial tails pad with zeros, which never appear in the input).
        for (let i = 0; i < 200 && pb.bufferedBytes > 0; i++) {
          const f = pb.take();
          if (f) for (let j = 0; j < f.data.length; j += 2) taken.push(f.data.readInt16LE(j));
        }
        const real = taken.filter((v) => v !== 0);
        expect(real.length + Math.round(dropped)).toBe(accepted.length);
        // Taken samples are a subsequence of accepted ones, in order.
        let k = 0;
        for (const v of real) {
          while (k < accepted.length && accepted[k] !== v) k++;
          expect(k).toBeLessThan(accepted.length);
          k++;
        }
      }),
      { numRuns: 300 },
    );
  });
});
