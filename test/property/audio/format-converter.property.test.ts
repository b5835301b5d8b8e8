import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AudioEncoding, type AudioFormat, SAMPLE_RATES } from '../../../src/audio/format.js';
import { FormatConverter } from '../../../src/audio/format-converter.js';

const format = fc
  .record({
    encoding: fc.constantFrom<AudioEncoding>('pcm16', 'ulaw', 'alaw'),
    sampleRate: fc.constantFrom(...SAMPLE_RATES),
  })
  .map((f): AudioFormat => f);
const bytes = fc.uint8Array({ maxLength: 4000 }).map((a) => Buffer.from(a));
/** Cut points (sorted, possibly repeated, so empty chunks and odd-sized PCM16 pieces occur too). */
const cuts = fc.array(fc.nat({ max: 4000 }), { maxLength: 12 });

/** The input cut into pieces, each at an odd byte offset of a buffer of its own (as AudioSocket payloads are). */
function pieces(data: Buffer, points: readonly number[]): Buffer[] {
  const sorted = points.map((p) => Math.min(p, data.length)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...sorted, data.length]) {
    const framed = Buffer.alloc(p - prev + 3);
    data.copy(framed, 3, prev, p);
    out.push(framed.subarray(3));
    prev = p;
  }
  return out;
}

describe('FormatConverter buffers', () => {
  it('pushTransient gives the bytes push gives, and what push returned is never changed by later pushes', () => {
    fc.assert(
      fc.property(format, format, bytes, cuts, (from, to, data, points) => {
        const owned = new FormatConverter(from, to);
        const transient = new FormatConverter(from, to);
        const kept: Buffer[] = [];
        const keptCopies: Buffer[] = [];
        const read: Buffer[] = [];
        for (const piece of pieces(data, points)) {
          const out = owned.push(piece);
          kept.push(out);
          keptCopies.push(Buffer.from(out));
          read.push(Buffer.from(transient.pushTransient(piece)));
        }
        kept.push(owned.flush());
        keptCopies.push(Buffer.from(kept.at(-1)!));
        read.push(transient.flush());
        expect(Buffer.concat(read)).toEqual(Buffer.concat(keptCopies));
        // Ownership: every buffer push handed out still holds what it held when it was returned.
        expect(kept).toEqual(keptCopies);
      }),
      { numRuns: 300 },
    );
  });
});
