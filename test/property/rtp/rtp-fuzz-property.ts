/**
 * Hostile UDP datagrams at the RTP edge: garbage, truncated headers, CSRC counts and extension lengths that lie,
 * padding counts past the packet, RTCP. `decodeRtp` answers each with its typed result, never an exception, and a
 * packet it accepts is consistent with its bytes; what it accepts goes through the jitter buffer and the L16 swap
 * without throwing, and the buffer stays bounded. Part of FUZZ_PROPERTIES (CI and `scripts/fuzz-long.ts`).
 */
import fc from 'fast-check';
import { decodeRtp, encodeRtp, l16ToPcm, RtpJitterBuffer } from '../../../src/protocols/rtp/index.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** A well-formed packet with every optional part, to be damaged. */
const validPacket = fc
  .record({
    marker: fc.boolean(),
    payloadType: fc.integer({ min: 0, max: 127 }),
    sequence: fc.integer({ min: 0, max: 0xffff }),
    timestamp: u32,
    ssrc: u32,
    csrcs: fc.array(u32, { maxLength: 15 }),
    ext: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
    paddingBytes: fc.integer({ min: 0, max: 64 }),
    payload: fc.uint8Array({ maxLength: 400 }),
  })
  .map(({ ext, ...p }) =>
    encodeRtp({ ...p, extension: ext === undefined ? undefined : { profile: 0xbede, data: Buffer.alloc(ext * 4, 7) } }),
  );

/** A damaged packet: bytes overwritten (the first byte's CC/X/P bits included), cut short, or padded with junk. */
const damaged = fc
  .record({
    packet: validPacket,
    writes: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    junk: fc.uint8Array({ maxLength: 8 }),
  })
  .map(({ packet, writes, cut, junk }) => {
    const b = Buffer.from(packet);
    for (const w of writes) b[w.at % b.length] = w.value;
    const cutBuf = cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
    return Buffer.concat([cutBuf, junk]);
  });

export const rtpDatagramProperty = fc.property(
  fc.array(
    fc.oneof(
      fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)),
      fc.uint8Array({ minLength: 2, maxLength: 40 }).map((a) => Buffer.from([0x80, ...a])),
      damaged,
    ),
    { minLength: 1, maxLength: 20 },
  ),
  (datagrams) => {
    const jb = new RtpJitterBuffer({ depthMs: 60, silence: Buffer.alloc(320) });
    let now = 0;
    for (const datagram of datagrams) {
      const d = decodeRtp(datagram);
      now += 20;
      if (d.kind !== 'rtp') continue;
      const p = d.packet;
      const header = 12 + p.csrcs.length * 4 + (p.extension ? 4 + p.extension.data.length : 0);
      if (header + p.payload.length + p.paddingBytes !== datagram.length) return false;
      if (p.payloadType > 127 || p.sequence > 0xffff || p.csrcs.length > 15) return false;
      for (const f of [...jb.push({ sequence: p.sequence, ssrc: p.ssrc, payload: p.payload }, now), ...jb.poll(now)])
        l16ToPcm(f.payload);
      if (jb.heldCount > jb.capacity) return false;
    }
    jb.flush();
    return true;
  },
);
