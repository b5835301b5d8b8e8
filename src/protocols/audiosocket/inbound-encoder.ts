import { assertNever } from '../../lib/assert-never.js';
import { isDtmfDigit } from './dtmf.js';
import { encodeHangup } from './encoder.js';
import { AUDIOSOCKET_ERROR, audioSocketError } from './errors.js';
import { AUDIOSOCKET_KIND, isAudioKind } from './kinds.js';
import type { AudioSocketMessage } from './messages.js';
import { uuidToBytes } from './uuid.js';

function frame(kind: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(3 + payload.length);
  out[0] = kind;
  out.writeUInt16BE(payload.length, 1);
  out.set(payload, 3);
  return out;
}

/**
 * Encodes a message as Asterisk sends it towards an AudioSocket server (UUID, DTMF, audio, error). For the
 * simulated Asterisk and tests only: never use it on a connection to a real Asterisk, which accepts only
 * `encodeOutbound` frames.
 */
export function encodeInboundMessage(message: AudioSocketMessage): Buffer {
  switch (message.type) {
    case 'uuid':
      return frame(AUDIOSOCKET_KIND.uuid, uuidToBytes(message.uuid));
    case 'dtmf':
      if (!isDtmfDigit(message.digit)) {
        throw audioSocketError(AUDIOSOCKET_ERROR.invalidDtmf, `not a DTMF digit: ${JSON.stringify(message.digit)}`);
      }
      return frame(AUDIOSOCKET_KIND.dtmf, Buffer.from(message.digit, 'latin1'));
    case 'audio':
      // Asterisk may send odd byte counts (a ulaw call is still labelled 0x10), so only emptiness is refused here.
      if (!isAudioKind(message.kind) || message.payload.length === 0 || message.payload.length > 0xffff) {
        throw audioSocketError(AUDIOSOCKET_ERROR.badLength, 'audio needs an audio kind and 1-65535 payload bytes', {
          kind: message.kind,
          length: message.payload.length,
        });
      }
      return frame(message.kind, message.payload);
    case 'error':
      return frame(AUDIOSOCKET_KIND.error, Buffer.from([message.code & 0xff]));
    case 'hangup':
      return encodeHangup();
    default:
      return assertNever(message, 'AudioSocket message');
  }
}
