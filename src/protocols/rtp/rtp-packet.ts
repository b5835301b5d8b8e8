/**
 * RTP packets (RFC 3550 §5.1) as typed values: the fixed 12-byte header, CSRC list, header extension and padding.
 * RTCP sharing the port (RFC 5761: second byte 192–223, i.e. packet types 200–204 SR/RR/SDES/BYE/APP and the
 * feedback types after them) is recognised and set apart, never read as audio. Pure: no sockets, no timers.
 */

export const RTP_VERSION = 2;
export const RTP_HEADER_BYTES = 12;

/** A header extension (RFC 3550 §5.3.1): 16-bit profile-defined id and its data (a multiple of 4 bytes). */
export interface RtpExtension {
  readonly profile: number;
  readonly data: Buffer;
}

export interface RtpPacket {
  readonly marker: boolean;
  /** 0–127. */
  readonly payloadType: number;
  /** 0–65535, wraps. */
  readonly sequence: number;
  /** 0–2^32-1, wraps; in samples of the payload's clock rate. */
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  readonly extension?: RtpExtension | undefined;
  /** Padding bytes the packet carried after the payload (0 when the P bit is clear). */
  readonly paddingBytes: number;
  readonly payload: Buffer;
}

/** Why bytes are not an RTP packet. */
export type RtpInvalidReason = 'too_short' | 'bad_version' | 'truncated_csrc' | 'truncated_extension' | 'bad_padding';

export type RtpDatagram =
  | { readonly kind: 'rtp'; readonly packet: RtpPacket }
  /** RTCP on the RTP port; `packetType` is the second byte (200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP …). */
  | { readonly kind: 'rtcp'; readonly packetType: number }
  | { readonly kind: 'invalid'; readonly reason: RtpInvalidReason };

/** Whether the second byte of a version-2 datagram marks RTCP (RFC 5761 §4: 192–223). */
export function isRtcpSecondByte(byte: number): boolean {
  return byte >= 192 && byte <= 223;
}

/** Reads one UDP datagram. Never throws: anything that is not a whole RTP packet is `invalid` (or `rtcp`). */
export function decodeRtp(data: Uint8Array): RtpDatagram {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 2) return { kind: 'invalid', reason: 'too_short' };
  const b0 = buf[0]!;
  if (b0 >> 6 !== RTP_VERSION) return { kind: 'invalid', reason: 'bad_version' };
  const b1 = buf[1]!;
  if (isRtcpSecondByte(b1)) return { kind: 'rtcp', packetType: b1 };
  if (buf.length < RTP_HEADER_BYTES) return { kind: 'invalid', reason: 'too_short' };
  const padding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_BYTES;
  if (buf.length < offset + csrcCount * 4) return { kind: 'invalid', reason: 'truncated_csrc' };
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(buf.readUInt32BE(offset + i * 4));
  offset += csrcCount * 4;
  let extension: RtpExtension | undefined;
  if (hasExtension) {
    if (buf.length < offset + 4) return { kind: 'invalid', reason: 'truncated_extension' };
    const profile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    const end = offset + 4 + words * 4;
    if (buf.length < end) return { kind: 'invalid', reason: 'truncated_extension' };
    extension = { profile, data: buf.subarray(offset + 4, end) };
    offset = end;
  }
  let end = buf.length;
  let paddingBytes = 0;
  if (padding) {
    paddingBytes = buf[buf.length - 1]!;
    // The count includes itself, so it is at least 1, and it cannot reach into the header.
    if (paddingBytes === 0 || paddingBytes > buf.length - offset) return { kind: 'invalid', reason: 'bad_padding' };
    end -= paddingBytes;
  }
  return {
    kind: 'rtp',
    packet: {
      marker: (b1 & 0x80) !== 0,
      payloadType: b1 & 0x7f,
      sequence: buf.readUInt16BE(2),
      timestamp: buf.readUInt32BE(4),
      ssrc: buf.readUInt32BE(8),
      csrcs,
      extension,
      paddingBytes,
      payload: buf.subarray(offset, end),
    },
  };
}

/** What `encodeRtp` needs; CSRCs, extension and padding are optional (the adapter sends none). */
export interface RtpPacketInput {
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs?: readonly number[] | undefined;
  readonly extension?: RtpExtension | undefined;
  readonly paddingBytes?: number | undefined;
  readonly payload: Uint8Array;
}

/**
 * Writes one RTP packet. Throws RangeError on values a packet cannot carry (payload type over 127, more than 15
 * CSRCs, an extension not a multiple of 4 bytes, padding outside 0–255): callers build these from their own state.
 */
export function encodeRtp(p: RtpPacketInput): Buffer {
  const csrcs = p.csrcs ?? [];
  const ext = p.extension;
  const padding = p.paddingBytes ?? 0;
  if (!Number.isInteger(p.payloadType) || p.payloadType < 0 || p.payloadType > 127)
    throw new RangeError(`payload type ${p.payloadType} is outside 0–127`);
  if (csrcs.length > 15) throw new RangeError('an RTP packet carries at most 15 CSRCs');
  if (ext && ext.data.length % 4 !== 0) throw new RangeError('extension data must be a multiple of 4 bytes');
  if (!Number.isInteger(padding) || padding < 0 || padding > 255) throw new RangeError('padding must be 0–255');
  const extBytes = ext ? 4 + ext.data.length : 0;
  const size = RTP_HEADER_BYTES + csrcs.length * 4 + extBytes + p.payload.length + padding;
  const buf = Buffer.allocUnsafe(size);
  buf[0] = (RTP_VERSION << 6) | (padding > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  buf[1] = (p.marker ? 0x80 : 0) | p.payloadType;
  buf.writeUInt16BE(p.sequence & 0xffff, 2);
  buf.writeUInt32BE(p.timestamp >>> 0, 4);
  buf.writeUInt32BE(p.ssrc >>> 0, 8);
  let offset = RTP_HEADER_BYTES;
  for (const c of csrcs) {
    buf.writeUInt32BE(c >>> 0, offset);
    offset += 4;
  }
  if (ext) {
    buf.writeUInt16BE(ext.profile & 0xffff, offset);
    buf.writeUInt16BE(ext.data.length / 4, offset + 2);
    ext.data.copy(buf, offset + 4);
    offset += extBytes;
  }
  buf.set(p.payload, offset);
  offset += p.payload.length;
  if (padding > 0) {
    buf.fill(0, offset, offset + padding - 1);
    buf[offset + padding - 1] = padding;
  }
  return buf;
}

/** Signed distance from sequence number `from` to `to` on the 16-bit circle (-32768 … 32767). */
export function sequenceDelta(to: number, from: number): number {
  return ((((to - from) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}
