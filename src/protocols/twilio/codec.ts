import { ulawDecode, ulawEncode } from '../../audio/g711.js';

/**
 * Twilio media payloads: base64 μ-law at 8 kHz, mono, no header. These convert to and from PCM16 samples at 8 kHz;
 * resampling to or from other rates happens before and after, elsewhere.
 */

/** Base64 μ-law payload → PCM16 samples at 8 kHz. Invalid base64 characters are skipped, as Node's decoder does. */
export function twilioPayloadToPcm(payload: string): Int16Array {
  return ulawDecode(Buffer.from(payload, 'base64'));
}

/** PCM16 samples at 8 kHz → base64 μ-law payload. */
export function pcmToTwilioPayload(pcm: Int16Array): string {
  return ulawEncode(pcm).toString('base64');
}

/** Base64 payload → raw μ-law bytes. */
export function twilioPayloadToUlaw(payload: string): Buffer {
  return Buffer.from(payload, 'base64');
}

/** Raw μ-law bytes → base64 payload. */
export function ulawToTwilioPayload(ulaw: Uint8Array): string {
  return Buffer.from(ulaw.buffer, ulaw.byteOffset, ulaw.byteLength).toString('base64');
}
