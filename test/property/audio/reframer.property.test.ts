import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reframer } from '../../../src/audio/reframer.js';

describe('Reframer (property)', () => {
  it('conserves bytes in order for any chunking and frame size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 40 }),
        (frameBytes, chunks) => {
          const r = new Reframer(frameBytes);
          const out: Buffer[] = [];
          for (const c of chunks) {
            const frames = r.push(Buffer.from(c));
            for (const f of frames) expect(f.length).toBe(frameBytes);
            out.push(...frames);
          }
          const tail = r.flush();
          if (tail) out.push(tail);
          expect(Buffer.concat(out).equals(Buffer.concat(chunks.map((c) => Buffer.from(c))))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
