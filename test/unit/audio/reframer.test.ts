import { describe, expect, it } from 'vitest';
import { Reframer } from '../../../src/audio/reframer.js';

describe('Reframer', () => {
  it('joins small chunks and splits large ones into exact frames', () => {
    const r = new Reframer(4);
    expect(r.push(Buffer.from([1, 2]))).toEqual([]);
    expect(r.pendingBytes).toBe(2);
    const frames = r.push(Buffer.from([3, 4, 5, 6, 7, 8, 9, 10, 11]));
    expect(frames.map((f) => [...f])).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect(r.pendingBytes).toBe(3);
    expect([...r.flush(true)!]).toEqual([9, 10, 11, 0]);
    expect(r.flush()).toBeUndefined();
  });

  it('returns frames that do not alias the input', () => {
    const r = new Reframer(2);
    const input = Buffer.from([1, 2]);
    const [frame] = r.push(input);
    input[0] = 9;
    expect(frame![0]).toBe(1);
  });

  it('rejects a non-positive frame size', () => {
    expect(() => new Reframer(0)).toThrow(RangeError);
  });
});
