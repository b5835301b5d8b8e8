import { AppError, type ErrorCategory } from '../../errors/app-error.js';

/**
 * Stable codes for WebRTC agent media failures:
 * - `WEBRTC_ICE_FAILED`: no ICE candidate pair connected (nothing reachable, checks unanswered, or consent lost);
 * - `WEBRTC_DTLS_FAILED`: ICE connected but the DTLS handshake failed (fingerprint mismatch, handshake error);
 * - `WEBRTC_NEGOTIATION_FAILED`: the agent's SDP answer could not be applied;
 * - `WEBRTC_NO_COMMON_CODEC`: the answer accepts none of the offered codecs;
 * - `WEBRTC_CONNECTION_LOST`: an established connection closed or failed during the call.
 */
export const WEBRTC_ERROR_CODES = [
  'WEBRTC_ICE_FAILED',
  'WEBRTC_DTLS_FAILED',
  'WEBRTC_NEGOTIATION_FAILED',
  'WEBRTC_NO_COMMON_CODEC',
  'WEBRTC_CONNECTION_LOST',
] as const;
export type WebRtcErrorCode = (typeof WEBRTC_ERROR_CODES)[number];

const CATEGORY: Record<WebRtcErrorCode, ErrorCategory> = {
  WEBRTC_ICE_FAILED: 'connectivity',
  WEBRTC_DTLS_FAILED: 'protocol',
  WEBRTC_NEGOTIATION_FAILED: 'protocol',
  WEBRTC_NO_COMMON_CODEC: 'protocol',
  WEBRTC_CONNECTION_LOST: 'connectivity',
};

/** A WebRTC peer connection could not be set up or was lost; `code` says which step failed. */
export class WebRtcError extends AppError {
  declare readonly code: WebRtcErrorCode;

  constructor(code: WebRtcErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, {
      code,
      category: CATEGORY[code],
      retryable: false,
      ...(details === undefined ? {} : { details }),
      ...(cause === undefined ? {} : { cause }),
    });
  }
}
