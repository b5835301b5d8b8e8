import { describe, expect, it } from 'vitest';
import { PCM8K, PCM16K, ULAW8K } from '../../../src/audio/format.js';
import { PlayoutBuffer, type UtteranceProgress } from '../../../src/audio/playout-buffer.js';

/** `ms` of PCM16 8 kHz audio where every sample is `value`. */
function pcm(ms: number, value = 1000, rate = 8000): Buffer {
  const b = Buffer.alloc((rate / 1000) * ms * 2);
  for (let i = 0; i < b.length; i += 2) b.writeInt16LE(value, i);
  return b;
}

describe('PlayoutBuffer', () => {
  it('hands out exactly one 20 ms frame per take and counts played ms per utterance', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    pb.push(pcm(100), 'u1');
    expect(pb.bufferedMs).toBe(100);
    for (let i = 0; i < 3; i++) {
      const f = pb.take()!;
      expect(f.data.length).toBe(320);
      expect(f.utteranceId).toBe('u1');
      expect(f.silence).toBe(false);
    }
    expect(pb.playedMs('u1')).toBe(60);
    expect(pb.bufferedMs).toBe(40);
  });

  it('returns undefined when empty, and takeOrSilence gives a format-correct silence frame', () => {
    const pb = new PlayoutBuffer({ format: ULAW8K, maxMs: 1000 });
    expect(pb.take()).toBeUndefined();
    const s = pb.takeOrSilence();
    expect(s.silence).toBe(true);
    expect(s.data.length).toBe(160);
    expect(s.data.every((b) => b === 0xff)).toBe(true);
    const p16 = new PlayoutBuffer({ format: PCM16K, maxMs: 1000 }).takeOrSilence();
    expect(p16.data.length).toBe(640);
    expect(p16.data.every((b) => b === 0)).toBe(true);
  });

  it('frames span utterance boundaries without losing bytes and attributes each byte to its utterance', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    pb.push(pcm(30, 1), 'a');
    pb.push(pcm(30, 2), 'b');
    const frames = [pb.take()!, pb.take()!, pb.take()!];
    const all = Buffer.concat(frames.map((f) => f.data));
    expect(all.equals(Buffer.concat([pcm(30, 1), pcm(30, 2)]))).toBe(true);
    expect(frames.map((f) => f.utteranceId)).toEqual(['a', 'a', 'b']);
    expect(pb.playedMs('a')).toBe(30);
    expect(pb.playedMs('b')).toBe(30);
  });

  it('waits one tick for a partial tail, then plays it padded with silence', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    pb.push(pcm(30), 'u');
    expect(pb.take()).toBeDefined();
    expect(pb.take()).toBeUndefined(); // 10 ms left: waits once
    const f = pb.take()!;
    expect(f.data.subarray(0, 160).equals(pcm(10))).toBe(true);
    expect(f.data.subarray(160).every((b) => b === 0)).toBe(true);
    expect(pb.playedMs('u')).toBe(30);
  });

  it('pads a partial μ-law or A-law tail with that encoding\'s silence byte, not 0x00 (a click)', () => {
    for (const [format, silent] of [
      [ULAW8K, 0xff],
      [{ ...ULAW8K, encoding: 'alaw' as const }, 0xd5],
    ] as const) {
      const pb = new PlayoutBuffer({ format, maxMs: 5000 });
      pb.push(Buffer.alloc(100, 0x12), 'u');
      expect(pb.take()).toBeUndefined(); // 12.5 ms queued: waits once
      const f = pb.take()!;
      expect(f.data.length).toBe(160);
      expect(f.data.subarray(0, 100).every((b) => b === 0x12)).toBe(true);
      expect(f.data.subarray(100).every((b) => b === silent)).toBe(true);
    }
  });

  it('continues a partial frame when more audio arrives in time', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    pb.push(pcm(10, 5), 'u');
    expect(pb.take()).toBeUndefined();
    pb.push(pcm(10, 6), 'u');
    const f = pb.take()!;
    expect(f.data.equals(Buffer.concat([pcm(10, 5), pcm(10, 6)]))).toBe(true);
  });

  it('fires a mark only once the audio queued before it has been taken', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    const marks: string[] = [];
    pb.on('mark', (m) => marks.push(m));
    pb.push(pcm(40), 'u');
    pb.mark('m1');
    pb.push(pcm(20), 'u');
    pb.mark('m2');
    pb.take();
    expect(marks).toEqual([]);
    pb.take();
    expect(marks).toEqual(['m1']);
    pb.take();
    expect(marks).toEqual(['m1', 'm2']);
  });

  it('fires a mark with nothing before it on the next take', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    const marks: string[] = [];
    pb.on('mark', (m) => marks.push(m));
    pb.mark('now');
    expect(marks).toEqual([]);
    expect(pb.take()).toBeUndefined();
    expect(marks).toEqual(['now']);
  });

  it('clear() drops queued audio and reports exactly what was heard and what was not', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    pb.push(pcm(1000), 'greeting');
    pb.mark('after-greeting');
    for (let i = 0; i < 7; i++) pb.take();
    const r = pb.clear();
    expect(r.utterances).toEqual([{ utteranceId: 'greeting', playedMs: 140, droppedMs: 860, protected: false }]);
    expect(r.droppedMs).toBe(860);
    expect(r.marks).toEqual(['after-greeting']);
    expect(pb.bufferedMs).toBe(0);
    expect(pb.take()).toBeUndefined();
    expect(pb.playedMs('greeting')).toBe(140);
    expect(pb.current()).toBeUndefined();
  });

  it('clear({keepProtected}) keeps protected audio queued', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    pb.push(pcm(100), 'greeting', { protected: true });
    pb.push(pcm(100), 'answer');
    pb.take();
    expect(pb.current()).toEqual({ utteranceId: 'greeting', protected: true });
    const r = pb.clear({ keepProtected: true });
    expect(r.utterances.map((u) => u.utteranceId)).toEqual(['answer']);
    expect(pb.bufferedMs).toBe(80);
  });

  it('drops the newest audio beyond capacity and reports it', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 1000 });
    const overflow: number[] = [];
    pb.on('overflow', (n) => overflow.push(n));
    const r1 = pb.push(pcm(800, 1), 'a');
    const r2 = pb.push(pcm(400, 2), 'a');
    expect(r1.droppedBytes).toBe(0);
    expect(r2.acceptedBytes).toBe(pcm(200).length);
    expect(r2.droppedBytes).toBe(pcm(200).length);
    expect(overflow).toEqual([pcm(200).length]);
    expect(pb.bufferedMs).toBe(1000);
    // What was queued first still plays first.
    expect(pb.take()!.data.equals(pcm(20, 1))).toBe(true);
  });

  it('emits utteranceStart and utteranceEnd once the closed utterance is fully played', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 5000 });
    const events: string[] = [];
    const ends: UtteranceProgress[] = [];
    pb.on('utteranceStart', (id) => events.push(`start:${id}`));
    pb.on('utteranceEnd', (p) => {
      events.push(`end:${p.utteranceId}`);
      ends.push(p);
    });
    pb.push(pcm(40), 'a');
    pb.take();
    pb.take();
    // Still open: an underrun is not the end of the utterance.
    expect(events).toEqual(['start:a']);
    pb.push(pcm(20), 'b'); // a new utterance closes 'a', which has nothing left
    expect(events).toEqual(['start:a', 'end:a']);
    pb.take();
    pb.endUtterance('b');
    expect(events).toEqual(['start:a', 'end:a', 'start:b', 'end:b']);
    expect(ends.map((e) => e.playedMs)).toEqual([40, 20]);
  });

  it('ignores a trailing odd byte of PCM16 rather than misaligning samples', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 1000 });
    const r = pb.push(Buffer.alloc(321), 'x');
    expect(r.acceptedBytes).toBe(320);
    expect(r.droppedBytes).toBe(1);
  });
});

describe('PlayoutBuffer drained', () => {
  it('emits drained when the frame just taken empties the buffer', () => {
    const pb = new PlayoutBuffer({ format: PCM8K, maxMs: 1000 });
    let drained = 0;
    pb.on('drained', () => {
      drained += 1;
    });
    pb.push(pcm(40), 'a');
    pb.take();
    expect(drained).toBe(0);
    pb.take();
    expect(drained).toBe(1);
    pb.take();
    expect(drained).toBe(1);
  });
});
