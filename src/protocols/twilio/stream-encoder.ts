import {
  TWILIO_MEDIA_ENCODING,
  TWILIO_SAMPLE_RATE,
  type TwilioConnectedMessage,
  type TwilioDtmfMessage,
  type TwilioInboundMediaMessage,
  type TwilioStartMessage,
  type TwilioStopMessage,
  type TwilioStreamMarkMessage,
} from './messages.js';
import { ulawToTwilioPayload } from './codec.js';

export interface TwilioStreamIdentity {
  /** `MZ` + 32 hex. */
  readonly streamSid: string;
  /** `CA` + 32 hex. */
  readonly callSid: string;
  /** `AC` + 32 hex. */
  readonly accountSid: string;
  readonly customParameters?: Readonly<Record<string, string>>;
}

/** Where the encoder is in the stream's life: `connected` → `start` → media/dtmf/mark → `stop`. */
export type TwilioStreamEncoderState = 'new' | 'connected' | 'started' | 'stopped';

/**
 * Builds the messages of one Twilio media stream in order, keeping Twilio's counters: `sequenceNumber` counts every
 * message after `connected` from "1"; `chunk` counts media messages from "1"; `timestamp` is the milliseconds of
 * inbound audio that preceded the chunk (8 μ-law bytes per ms). All counters are decimal strings, as Twilio sends.
 * Calling a method out of order throws: such a message would be a bug, never something to put on the wire.
 */
export class TwilioStreamEncoder {
  readonly #identity: TwilioStreamIdentity;
  #state: TwilioStreamEncoderState = 'new';
  #sequence = 0;
  #chunk = 0;
  #samples = 0;

  constructor(identity: TwilioStreamIdentity) {
    this.#identity = identity;
  }

  get streamSid(): string {
    return this.#identity.streamSid;
  }

  get state(): TwilioStreamEncoderState {
    return this.#state;
  }

  /** Milliseconds of inbound audio encoded so far. */
  get mediaMs(): number {
    return Math.floor((this.#samples * 1000) / TWILIO_SAMPLE_RATE);
  }

  connected(): TwilioConnectedMessage {
    this.#expect('new', 'connected');
    this.#state = 'connected';
    return { event: 'connected', protocol: 'Call', version: '1.0.0' };
  }

  start(): TwilioStartMessage {
    this.#expect('connected', 'start');
    this.#state = 'started';
    const { streamSid, callSid, accountSid, customParameters } = this.#identity;
    return {
      event: 'start',
      sequenceNumber: this.#nextSequence(),
      streamSid,
      start: {
        accountSid,
        streamSid,
        callSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: TWILIO_MEDIA_ENCODING, sampleRate: TWILIO_SAMPLE_RATE, channels: 1 },
        customParameters: { ...(customParameters ?? {}) },
      },
    };
  }

  /** One chunk of caller audio: μ-law 8 kHz, 160 bytes (20 ms); the media bridge only ever hands over whole frames. */
  media(ulaw: Uint8Array): TwilioInboundMediaMessage {
    this.#expect('started', 'media');
    const timestamp = String(this.mediaMs);
    this.#samples += ulaw.byteLength;
    this.#chunk += 1;
    return {
      event: 'media',
      sequenceNumber: this.#nextSequence(),
      streamSid: this.#identity.streamSid,
      media: { track: 'inbound', chunk: String(this.#chunk), timestamp, payload: ulawToTwilioPayload(ulaw) },
    };
  }

  /** Inbound audio that was not sent (caller muted, frames lost) still advances the media timestamp. */
  skip(samples: number): void {
    this.#expect('started', 'skip');
    this.#samples += Math.max(0, Math.floor(samples));
  }

  dtmf(digit: string): TwilioDtmfMessage {
    this.#expect('started', 'dtmf');
    return {
      event: 'dtmf',
      sequenceNumber: this.#nextSequence(),
      streamSid: this.#identity.streamSid,
      dtmf: { track: 'inbound_track', digit },
    };
  }

  /** Acknowledges an agent's mark once the audio queued before it has played. */
  mark(name: string): TwilioStreamMarkMessage {
    this.#expect('started', 'mark');
    return { event: 'mark', sequenceNumber: this.#nextSequence(), streamSid: this.#identity.streamSid, mark: { name } };
  }

  // Not a lifecycle method: builds Twilio's `stop` message.
  stop(): TwilioStopMessage {
    this.#expect('started', 'stop');
    this.#state = 'stopped';
    const { streamSid, callSid, accountSid } = this.#identity;
    return { event: 'stop', sequenceNumber: this.#nextSequence(), streamSid, stop: { accountSid, callSid } };
  }

  #nextSequence(): string {
    this.#sequence += 1;
    return String(this.#sequence);
  }

  #expect(state: TwilioStreamEncoderState, what: string): void {
    if (this.#state !== state) {
      throw new Error(`TwilioStreamEncoder: ${what} is not allowed in state ${this.#state} (expected ${state})`);
    }
  }
}
