import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRtp,
  encodeRtp,
  l16ToPcm,
  pcmToL16,
  RtpJitterBuffer,
  RtpSender,
  sequenceDelta,
} from '../../../src/protocols/rtp/index.js';

/** RTP payload types that cannot be mistaken for RTCP (RFC 5761 keeps 64–95 apart). */
const payloadType = fc.oneof(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 96, max: 127 }));
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const packetInput = fc.record({
  marker: fc.boolean(),
  payloadType,
  sequence: u16,
  timestamp: u32,
  ssrc: u32,
  csrcs: fc.array(u32, { maxLength: 15 }),
  extension: fc.option(
    fc.record({
      profile: u16,
      data: fc
        .integer({ min: 0, max: 16 })
        .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })),
    }),
    { nil: undefined },
  ),
  paddingBytes: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 700 }),
});

describe('RTP packet codec', () => {
  it('decode(encode(p)) gives p back: header, CSRCs, extension, padding, payload', () => {
    fc.assert(
      fc.property(packetInput, (p) => {
        const ext = p.extension ? { profile: p.extension.profile, data: Buffer.from(p.extension.data) } : undefined;
        const d = decodeRtp(encodeRtp({ ...p, extension: ext }));
        expect(d.kind).toBe('rtp');
        if (d.kind !== 'rtp') return;
        const q = d.packet;
        expect({
          ...q,
          payload: [...q.payload],
          extension: q.extension && { ...q.extension, data: [...q.extension.data] },
        }).toEqual({
          marker: p.marker,
          payloadType: p.payloadType,
          sequence: p.sequence,
          timestamp: p.timestamp,
          ssrc: p.ssrc,
          csrcs: p.csrcs,
          extension: ext && { profile: ext.profile, data: [...ext.data] },
          paddingBytes: p.paddingBytes,
          payload: [...p.payload],
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('every second byte 192–223 of a version-2 datagram is RTCP (SR 200 … APP 204, i.e. 72–76 with the marker)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 192, max: 223 }), fc.uint8Array({ maxLength: 40 }), (b1, rest) => {
        expect(decodeRtp(Buffer.from([0x80, b1, ...rest]))).toEqual({ kind: 'rtcp', packetType: b1 });
      }),
    );
  });

  it('any cut of a packet is either the packet, a shorter valid one, or a typed failure; never a throw', () => {
    fc.assert(
      fc.property(packetInput, fc.nat(), (p, cutAt) => {
        const ext = p.extension ? { profile: p.extension.profile, data: Buffer.from(p.extension.data) } : undefined;
        const whole = encodeRtp({ ...p, extension: ext });
        const cut = whole.subarray(0, cutAt % (whole.length + 1));
        const d = decodeRtp(cut);
        if (d.kind === 'rtp') {
          const q = d.packet;
          const header = 12 + q.csrcs.length * 4 + (q.extension ? 4 + q.extension.data.length : 0);
          expect(header + q.payload.length + q.paddingBytes).toBe(cut.length);
        } else {
          expect(['invalid', 'rtcp']).toContain(d.kind);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('sequenceDelta is the signed distance on the 16-bit circle', () => {
    fc.assert(
      fc.property(u16, fc.integer({ min: -32768, max: 32767 }), (from, delta) => {
        expect(sequenceDelta((from + delta) & 0xffff, from)).toBe(delta);
      }),
    );
  });
});

describe('L16 payloads', () => {
  it('are big-endian: each sample reads back with DataView big-endian, and the swap round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 400 }), (values) => {
        const pcm = Buffer.from(Int16Array.from(values).buffer);
        const l16 = pcmToL16(pcm);
        const view = new DataView(l16.buffer, l16.byteOffset, l16.byteLength);
        for (const [i, v] of values.entries()) expect(view.getInt16(i * 2, false)).toBe(v);
        expect(l16ToPcm(l16).equals(pcm)).toBe(true);
      }),
    );
  });
});

describe('RTP sender', () => {
  it('sequence +1 and timestamp + samples per packet (wrapping), one SSRC, the marker on each talk spurt start', () => {
    fc.assert(
      fc.property(
        fc.record({ ssrc: u32, sequence: u16, timestamp: u32 }),
        fc.array(fc.record({ samples: fc.constantFrom(160, 320), speech: fc.boolean() }), {
          minLength: 1,
          maxLength: 60,
        }),
        (start, frames) => {
          const sender = new RtpSender(0, start);
          let seq = start.sequence;
          let ts = start.timestamp;
          let talking = false;
          for (const f of frames) {
            const d = decodeRtp(sender.packet(Buffer.alloc(f.samples), f.samples, f.speech));
            if (d.kind !== 'rtp') throw new Error('not rtp');
            expect(d.packet).toMatchObject({ ssrc: start.ssrc, sequence: seq, timestamp: ts, payloadType: 0 });
            expect(d.packet.marker).toBe(f.speech && !talking);
            talking = f.speech;
            seq = (seq + 1) & 0xffff;
            ts = (ts + f.samples) >>> 0;
          }
        },
      ),
    );
  });
});

/** A stream of packets as a network might deliver it: reordered a little, some lost, some doubled. */
const delivery = fc
  .record({
    start: u16,
    count: fc.integer({ min: 1, max: 120 }),
    swaps: fc.array(fc.nat(), { maxLength: 20 }),
    drops: fc.array(fc.nat(), { maxLength: 10 }),
    dups: fc.array(fc.nat(), { maxLength: 10 }),
    gaps: fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 130 }),
  })
  .map(({ start, count, swaps, drops, dups, gaps }) => {
    const order = Array.from({ length: count }, (_, i) => i);
    for (const s of swaps) {
      const i = s % count;
      if (i + 1 < count) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
    }
    const dropped = new Set(drops.map((d) => d % count));
    const sent = order.filter((i) => !dropped.has(i));
    for (const d of dups) if (sent.length > 0) sent.splice(d % sent.length, 0, sent[d % sent.length]!);
    let t = 0;
    return {
      start,
      count,
      arrivals: sent.map((i, k) => {
        t += gaps[k] ?? 20;
        return { index: i, at: t };
      }),
    };
  });

describe('uplink jitter buffer', () => {
  it('bounded; frames out in sequence order, each once; every packet released, dropped as late or as a duplicate', () => {
    fc.assert(
      fc.property(delivery, fc.constantFrom(0, 20, 60, 100), ({ start, arrivals }, depthMs) => {
        const jb = new RtpJitterBuffer({ depthMs, silence: Buffer.from([0xff, 0xff]) });
        const out: { payload: Buffer; concealed: boolean }[] = [];
        let now = 0;
        for (const a of arrivals) {
          // The clock ticks between arrivals.
          for (; now + 20 <= a.at; now += 20) out.push(...jb.poll(now));
          const payload = Buffer.alloc(4);
          payload.writeUInt32BE(a.index);
          out.push(...jb.push({ sequence: (start + a.index) & 0xffff, ssrc: 1, payload }, a.at));
          expect(jb.heldCount).toBeLessThanOrEqual(jb.capacity);
        }
        out.push(...jb.flush());
        expect(jb.heldCount).toBe(0);
        const released = out.filter((f) => !f.concealed).map((f) => f.payload.readUInt32BE(0));
        // In order, no index twice.
        for (let i = 1; i < released.length; i++) expect(released[i]!).toBeGreaterThan(released[i - 1]!);
        const s = jb.stats;
        expect(s.received).toBe(arrivals.length);
        expect(s.released).toBe(released.length);
        expect(s.released + s.late + s.duplicates).toBe(s.received);
        expect(s.concealed).toBeLessThanOrEqual(s.lost);
        expect(out.filter((f) => f.concealed)).toHaveLength(s.concealed);
      }),
      { numRuns: 1500 },
    );
  });

  it('in-order packets come out at once, untouched, whatever the depth', () => {
    fc.assert(
      fc.property(u16, fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 200 }), (start, n, depthMs) => {
        const jb = new RtpJitterBuffer({ depthMs, silence: Buffer.alloc(2) });
        for (let i = 0; i < n; i++) {
          const payload = Buffer.from([i & 0xff]);
          const out = jb.push({ sequence: (start + i) & 0xffff, ssrc: 5, payload }, i * 20);
          expect(out).toEqual([{ payload, concealed: false }]);
        }
        expect(jb.stats).toMatchObject({ lost: 0, late: 0, duplicates: 0, concealed: 0 });
      }),
    );
  });

  it('a new SSRC mid-stream: everything held comes out in order first, and the new stream starts without loss', () => {
    fc.assert(
      fc.property(u16, u16, fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 40 }), (a, b, n, m) => {
        const jb = new RtpJitterBuffer({ depthMs: 60, silence: Buffer.alloc(2) });
        const out: number[] = [];
        let t = 0;
        // The old stream's last packet is held behind a hole when the SSRC changes.
        const take = (sequence: number, ssrc: number, value: number) => {
          t += 20;
          for (const f of jb.push({ sequence: sequence & 0xffff, ssrc, payload: Buffer.from([value]) }, t))
            out.push(f.payload[0]!);
        };
        for (let i = 0; i < n; i++) if (i !== n - 2) take(a + i, 1, i);
        for (let i = 0; i < m; i++) take(b + i, 2, 100 + i);
        const old = Array.from({ length: n }, (_, i) => i).filter((i) => i !== n - 2);
        expect(out).toEqual([...old, ...Array.from({ length: m }, (_, i) => 100 + i)]);
        expect(jb.stats.ssrcChanges).toBe(1);
      }),
    );
  });
});
