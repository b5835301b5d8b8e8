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
  return encodeAudioFrameInto(kind, payload, undefined);
}

/**
 * {@link encodeAudioFrame} into `target` when it is exactly the frame's size (a caller reusing its buffer for a
 * stream of equal frames); otherwise into a new buffer. Returns the buffer written. Same checks.
 */
export function encodeAudioFrameInto(kind: AudioKind, payload: Uint8Array, target: Buffer | undefined): Buffer {
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
  const size = AUDIOSOCKET_HEADER_BYTES + n;
  const out = target !== undefined && target.length === size ? target : Buffer.allocUnsafe(size);
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
