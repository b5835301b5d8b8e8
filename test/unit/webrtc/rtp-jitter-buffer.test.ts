import { describe, expect, it } from 'vitest';
import { type JitterTake, RtpJitterBuffer } from '../../../src/transports/webrtc/rtp-jitter-buffer.js';

const p = (n: number): Buffer => Buffer.from([n & 0xff]);
const label = (t: JitterTake): string => (t.kind === 'packet' ? `p${t.payload[0]}` : t.kind === 'lost' ? 'lost' : '-');
function takes(jb: RtpJitterBuffer, n: number): string[] {
  return Array.from({ length: n }, () => label(jb.take()));
}

describe('RtpJitterBuffer', () => {
  it('waits for its target depth, then plays one packet per take in order', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 3 });
    expect(takes(jb, 1)).toEqual(['-']);
    jb.push(100, p(0));
    jb.push(101, p(1));
    expect(takes(jb, 1)).toEqual(['-']);
    jb.push(102, p(2));
    expect(takes(jb, 3)).toEqual(['p0', 'p1', 'p2']);
    expect(jb.stats.played).toBe(3);
  });

  it('starts anyway once the first packet waited as many takes as the target depth', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 3, maxConcealed: 0 });
    jb.push(7, p(7));
    expect(takes(jb, 3)).toEqual(['-', '-', 'p7']);
  });

  it('puts reordered packets back in sequence', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 3 });
    for (const s of [10, 12, 11, 13, 15, 14]) jb.push(s, p(s));
    expect(takes(jb, 6)).toEqual(['p10', 'p11', 'p12', 'p13', 'p14', 'p15']);
    expect(jb.stats.reordered).toBe(2);
    expect(jb.stats.concealed).toBe(0);
  });

  it('reports a missing packet as lost when later ones are held, and drops it if it arrives after its turn', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 2 });
    jb.push(1, p(1));
    jb.push(3, p(3));
    jb.push(4, p(4));
    expect(takes(jb, 2)).toEqual(['p1', 'lost']);
    expect(jb.push(2, p(2))).toBe('late');
    expect(takes(jb, 2)).toEqual(['p3', 'p4']);
    expect(jb.stats).toMatchObject({ concealed: 1, late: 1 });
  });

  it('drops duplicates', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 1 });
    expect(jb.push(5, p(5))).toBe('queued');
    expect(jb.push(5, p(5))).toBe('duplicate');
    expect(jb.stats.duplicate).toBe(1);
  });

  it('follows the 16-bit sequence number across its wrap', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 2 });
    for (const s of [65534, 65535, 0, 1]) jb.push(s, p(s));
    expect(takes(jb, 4)).toEqual(['p254', 'p255', 'p0', 'p1']);
    expect(jb.stats.late).toBe(0);
  });

  it('conceals a short dry spell, then goes idle without spending sequence numbers, so a paused sender resumes', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 1, maxConcealed: 2 });
    jb.push(20, p(20));
    expect(takes(jb, 4)).toEqual(['p20', 'lost', 'lost', '-']);
    // The sender only paused: it goes on with 21, which must not count as late.
    expect(jb.push(21, p(21))).toBe('queued');
    expect(takes(jb, 1)).toEqual(['p21']);
    expect(jb.stats.late).toBe(0);
    expect(jb.stats.starts).toBe(2);
  });

  it('stays bounded: a packet too far ahead skips the oldest positions', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 2, maxDepth: 4 });
    for (let s = 0; s < 8; s += 1) jb.push(s, p(s));
    expect(jb.depth).toBeLessThanOrEqual(4);
    expect(jb.stats.overflowDropped).toBe(4);
    expect(takes(jb, 4)).toEqual(['p4', 'p5', 'p6', 'p7']);
  });

  it('flush drops what it holds but keeps the position: what follows is neither late nor lost', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 2 });
    for (const s of [1, 2, 3]) jb.push(s, p(s));
    expect(takes(jb, 1)).toEqual(['p1']);
    expect(jb.flush()).toBe(2);
    for (const s of [4, 5]) expect(jb.push(s, p(s))).toBe('queued');
    expect(takes(jb, 2)).toEqual(['p4', 'p5']);
    expect(jb.stats).toMatchObject({ flushed: 2, late: 0, concealed: 0 });
  });

  it('starts over on a jump of the sequence number (a new stream)', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 1 });
    jb.push(100, p(1));
    expect(takes(jb, 1)).toEqual(['p1']);
    expect(jb.push(30_000, p(2))).toBe('queued');
    expect(jb.stats.resets).toBe(1);
    expect(takes(jb, 1)).toEqual(['p2']);
  });

  it('sheds a packet when it stays deeper than its target (a sender clock running fast)', () => {
    const jb = new RtpJitterBuffer({ targetDepth: 2, maxDepth: 10 });
    let seq = 0;
    for (; seq < 7; seq += 1) jb.push(seq, p(seq));
    // One packet in per take keeps the depth at 6 > target + 2 until the buffer sheds one.
    for (let i = 0; i < 60; i += 1) {
      jb.take();
      jb.push(seq, p(seq));
      seq += 1;
    }
    expect(jb.stats.driftDropped).toBeGreaterThanOrEqual(1);
    expect(jb.depth).toBeLessThan(7);
  });
});
