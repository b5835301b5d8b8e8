import { describe, expect, it } from 'vitest';
import { PCM8K, PCM16K, pcmBuffer, ULAW8K } from '../../../src/audio/format.js';
import { FormatConverter } from '../../../src/audio/format-converter.js';
import { StreamFramer } from '../../../src/audio/stream-framer.js';
import { generateTone } from '../../../src/audio/tone-analysis.js';

describe('StreamFramer', () => {
  it('turns a 16 kHz leg resampled to μ-law 8 kHz into 160-byte frames from the very first one', () => {
    const converter = new FormatConverter(PCM16K, ULAW8K);
    const framer = new StreamFramer(ULAW8K);
    const tone = pcmBuffer(generateTone({ rate: 16000, freq: 440, amplitude: 8000, ms: 400 }));
    const firstChunk = converter.push(tone.subarray(0, 640));
    // The resampler's group delay makes its first output short.
    expect(firstChunk.length).toBeLessThan(160);
    const frames = framer.push(firstChunk);
    for (let off = 640; off < tone.length; off += 640)
      frames.push(...framer.push(converter.push(tone.subarray(off, off + 640))));
    expect(frames.length).toBe(20);
    expect(frames.every((f) => f.length === 160)).toBe(true);
    // The padding in front is μ-law silence.
    expect(frames[0]!.subarray(0, 160 - firstChunk.length).every((b) => b === 0xff)).toBe(true);
    expect(framer.pendingBytes).toBe(0);
  });

  it('holds a partial frame until it is whole', () => {
    const framer = new StreamFramer(PCM8K);
    expect(framer.push(Buffer.alloc(320, 1))).toHaveLength(1);
    expect(framer.push(Buffer.alloc(100, 2))).toHaveLength(0);
    expect(framer.pendingBytes).toBe(100);
    const frames = framer.push(Buffer.alloc(540, 3));
    expect(frames.map((f) => f.length)).toEqual([320, 320]);
    expect(framer.pendingBytes).toBe(0);
  });
});
