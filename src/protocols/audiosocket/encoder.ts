import { assertNever } from '../../lib/assert-never.js';
import { AUDIOSOCKET_ERROR, audioSocketError } from './errors.js';
import { type AudioKind, AUDIOSOCKET_KIND, formatKind, isAudioKind } from './kinds.js';
import type { AudioSocketOutboundMessage } from './messages.js';

/** Header bytes of every frame: kind u8, length u16 big-endian. */
export const AUDIOSOCKET_HEADER_BYTES = 3;
/** Largest payload the 16-bit length field can describe. */
export const AUDIOSOCKET_MAX_PAYLOAD = 0xffff;

/** The 3-byte hangup frame `00 00 00` (a new Buffer each call). */
export function encodeHangup(): Buffer {
  return Buffer.from([AUDIOSOCKET_KIND.hangup, 0, 0]);
}

/**
 * One audio frame towards Asterisk: `kind | length (BE) | payload`. Refuses a kind outside `0x10`–`0x18`, an empty
 * payload (Asterisk drops the call on it), an odd byte count (not whole PCM16 samples) and payloads over 65535 bytes.
 */
export function encodeAudioFrame(kind: AudioKind, payload: Uint8Array): Buffer {
  if (!isAudioKind(kind)) {
    throw audioSocketError(AUDIOSOCKET_ERROR.notOutbound, `kind ${formatKind(kind)} is not an audio kind`, { kind });
  }
  const n = payload.length;
  if (n === 0)
    throw audioSocketError(AUDIOSOCKET_ERROR.emptyAudio, 'refusing to encode an empty audio frame', { kind });
  if (n % 2 !== 0) {
    throw audioSocketError(AUDIOSOCKET_ERROR.oddAudioLength, `audio payload of ${n} bytes is not whole PCM16 samples`, {
      kind,
      length: n,
    });
  }
  if (n > AUDIOSOCKET_MAX_PAYLOAD) {
    throw audioSocketError(AUDIOSOCKET_ERROR.frameTooLarge, `audio payload of ${n} bytes exceeds 65535`, {
      kind,
      length: n,
    });
  }
  const out = Buffer.allocUnsafe(AUDIOSOCKET_HEADER_BYTES + n);
  out[0] = kind;
  out.writeUInt16BE(n, 1);
  out.set(payload, AUDIOSOCKET_HEADER_BYTES);
  return out;
}

/** Encodes a message for the direction towards Asterisk (audio or hangup only). */
export function encodeOutbound(message: AudioSocketOutboundMessage): Buffer {
  switch (message.type) {
    case 'audio':
      return encodeAudioFrame(message.kind, message.payload);
    case 'hangup':
      return encodeHangup();
    default:
      return assertNever(message, 'outbound AudioSocket message');
  }
}
