import { ProtocolError } from '../../errors/protocol-error.js';

/** Stable codes of the ProtocolErrors the AudioSocket codec raises. */
export const AUDIOSOCKET_ERROR = {
  unknownKind: 'AUDIOSOCKET_UNKNOWN_KIND',
  emptyAudio: 'AUDIOSOCKET_EMPTY_AUDIO',
  frameTooLarge: 'AUDIOSOCKET_FRAME_TOO_LARGE',
  badLength: 'AUDIOSOCKET_BAD_LENGTH',
  invalidUuid: 'AUDIOSOCKET_INVALID_UUID',
  invalidDtmf: 'AUDIOSOCKET_INVALID_DTMF',
  oddAudioLength: 'AUDIOSOCKET_ODD_AUDIO_LENGTH',
  notOutbound: 'AUDIOSOCKET_NOT_OUTBOUND',
  decoderFailed: 'AUDIOSOCKET_DECODER_FAILED',
} as const;

export type AudioSocketErrorCode = (typeof AUDIOSOCKET_ERROR)[keyof typeof AUDIOSOCKET_ERROR];

/** Builds the ProtocolError for one AudioSocket codec failure. */
export function audioSocketError(
  code: AudioSocketErrorCode,
  message: string,
  details?: Record<string, unknown>,
): ProtocolError {
  return new ProtocolError(code, message, details);
}
