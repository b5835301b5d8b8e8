import type { SampleRate } from '../../audio/format.js';
import type { DtmfDigit } from './dtmf.js';
import type { AudioKind } from './kinds.js';

/** First message on every connection: the 16-byte UUID Asterisk was given (`data=`), as a lowercase string. */
export interface UuidMessage {
  readonly type: 'uuid';
  readonly uuid: string;
}

/** A DTMF digit ended on the caller's side (Asterisk 22 sends it when the digit ends). */
export interface DtmfMessage {
  readonly type: 'dtmf';
  readonly digit: DtmfDigit;
}

/**
 * Audio: signed 16-bit little-endian mono PCM at the kind's rate. Asterisk labels frames of a codec it does not map
 * (e.g. ulaw) as `0x10` too, so the kind says what the peer claims, not what the bytes are.
 */
export interface AudioMessage {
  readonly type: 'audio';
  readonly kind: AudioKind;
  readonly sampleRate: SampleRate;
  readonly payload: Buffer;
}

/** An `0xff` error frame with its code byte (documented; Asterisk 22 never sends it). */
export interface ErrorMessage {
  readonly type: 'error';
  readonly code: number;
}

/** `0x00`: terminate the call. Asterisk never sends it (a hangup is the socket closing). */
export interface HangupMessage {
  readonly type: 'hangup';
}

/** Any message an AudioSocket peer can send; what the decoder yields. */
export type AudioSocketMessage = UuidMessage | DtmfMessage | AudioMessage | ErrorMessage | HangupMessage;

/** Non-empty audio towards Asterisk. */
export interface OutboundAudio {
  readonly type: 'audio';
  readonly kind: AudioKind;
  readonly payload: Buffer;
}

/**
 * What may be sent towards Asterisk: audio kinds and hangup only. Anything else (UUID, DTMF, error) makes Asterisk
 * drop the call, so it has no representation here.
 */
export type AudioSocketOutboundMessage = OutboundAudio | HangupMessage;
