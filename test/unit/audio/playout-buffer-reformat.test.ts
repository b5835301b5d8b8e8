import { describe, expect, it } from 'vitest';
import { PCM8K, PCM16K } from '../../../src/audio/format.js';
import { convertPieces } from '../../../src/audio/convert-pieces.js';
import { PlayoutBuffer } from '../../../src/audio/playout-buffer.js';

/** `ms` of PCM16 at `rate` where every sample is `value`. */
function pcm(ms: number, value: number, rate = 8000): Buffer {
  const b = Buffer.alloc((rate / 1000) * ms * 2);
  for (let i = 0; i < b.length; i += 2) b.writeInt16LE(value, i);
  return b;
}

/** 8 kHz → 16 kHz by repeating every sample (exact and easy to check). */
function double(data: Buffer): Buffer {
  const out = Buffer.alloc(data.length * 2);
  for (let i = 0; i < data.length; i += 2) {
    const v = data.readInt16LE(i);
    out.writeInt16LE(v, i * 2);
    out.writeInt16LE(v, i * 2 + 2);
  }
  return out;
}

describe('PlayoutBuffer.reformat', () => {
  it('keeps the queued audio, its marks and its accounting when the leg rate changes', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    const marks: string[] = [];
    const ends: Array<{ id: string; playedMs: number }> = [];
    pb.on('mark', (name) => marks.push(name));
    pb.on('utteranceEnd', (p) => ends.push({ id: p.utteranceId, playedMs: p.playedMs }));
    pb.push(pcm(60, 1000), 'u1');
    pb.mark('a');
    pb.push(pcm(40, 2000), 'u1');
    pb.mark('b');
    pb.endUtterance('u1');
    pb.push(pcm(40, 3000), 'u2');
    pb.mark('c');
    expect(pb.take()!.data.length).toBe(320);
    expect(pb.playedMs('u1')).toBe(20);

    pb.reformat(PCM16K, double);

    // Nothing fired or ended by the change itself.
    expect(marks).toEqual([]);
    expect(ends).toEqual([]);
    expect(pb.format).toEqual(PCM16K);
    expect(pb.frameBytes).toBe(640);
    expect(pb.bufferedMs).toBe(120);
    expect(pb.playedMs('u1')).toBe(20);
    expect(pb.playedMs('u2')).toBe(0);

    const taken: number[][] = [];
    const marksAfterTake: string[][] = [];
    for (let frame = pb.take(); frame; frame = pb.take()) {
      expect(frame.data.length).toBe(640);
      const samples = new Int16Array(frame.data.buffer, frame.data.byteOffset, 320);
      taken.push([samples[0]!, samples[319]!]);
      marksAfterTake.push([...marks]);
    }
    // 40 ms of the first value, 40 ms of the second, 40 ms of u2: marks exactly where their audio ended.
    expect(taken).toEqual([
      [1000, 1000],
      [1000, 1000],
      [2000, 2000],
      [2000, 2000],
      [3000, 3000],
      [3000, 3000],
    ]);
    expect(marksAfterTake).toEqual([[], ['a'], ['a'], ['a', 'b'], ['a', 'b'], ['a', 'b', 'c']]);
    // u1 was closed and has ended with all 100 ms played; u2 is still open.
    expect(ends).toEqual([{ id: 'u1', playedMs: 100 }]);
    expect(pb.playedMs('u2')).toBe(40);
  });

  it('moves a partly played chunk: only its unplayed rest is converted', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    pb.push(pcm(30, 500), 'u1');
    pb.take();
    pb.reformat(PCM16K, double);
    expect(pb.bufferedMs).toBe(10);
    // The 10 ms rest is a partial frame: it waits a tick, then plays padded.
    expect(pb.take()).toBeUndefined();
    const last = pb.take()!;
    expect(last.data.length).toBe(640);
    expect(last.data.readInt16LE(0)).toBe(500);
    expect(last.data.readInt16LE(318)).toBe(500);
    expect(last.data.readInt16LE(320)).toBe(0);
    expect(pb.playedMs('u1')).toBe(30);
  });

  it('rescales its capacity to the new format', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 1000 });
    expect(pb.maxBytes).toBe(16_000);
    pb.reformat(PCM16K, double);
    expect(pb.maxBytes).toBe(32_000);
  });
});

describe('convertPieces', () => {
  it('cuts the converted stream at the same instants, on sample boundaries, keeping every byte', () => {
    const pieces = [Buffer.alloc(30 * 2, 1), Buffer.alloc(7 * 2, 2), Buffer.alloc(0), Buffer.alloc(43 * 2, 3)];
    // 8 kHz → 24 kHz: three output samples per input sample.
    const out = convertPieces(pieces, (d) => Buffer.alloc(d.length * 3), 2);
    expect(out.map((b) => b.length)).toEqual([180, 42, 0, 258]);
    // 16 kHz → 8 kHz with an odd total: cuts round to whole samples, the last piece takes the rest.
    const down = convertPieces(pieces, (d) => Buffer.alloc(Math.round(d.length / 4) * 2), 2);
    expect(down.map((b) => b.length)).toEqual([30, 8, 0, 42]);
    expect(out.every((b) => b.length % 2 === 0)).toBe(true);
  });
});
