/**
 * The sending side of one RTP stream: our own SSRC, sequence number and timestamp (random starts, RFC 3550 §5.1),
 * the sequence advancing by one and the timestamp by the frame's samples per packet, the marker bit on the first
 * packet of a talk spurt (RFC 3551 §4.1). Pure: the caller supplies the random starts.
 */
import { encodeRtp } from './rtp-packet.js';

export interface RtpSenderStart {
  readonly ssrc: number;
  readonly sequence: number;
  readonly timestamp: number;
}

export class RtpSender {
  readonly ssrc: number;
  readonly payloadType: number;
  #sequence: number;
  #timestamp: number;
  #talking = false;
  packets = 0;

  constructor(payloadType: number, start: RtpSenderStart) {
    this.payloadType = payloadType;
    this.ssrc = start.ssrc >>> 0;
    this.#sequence = start.sequence & 0xffff;
    this.#timestamp = start.timestamp >>> 0;
  }

  /** Sequence number of the next packet. */
  get sequence(): number {
    return this.#sequence;
  }

  /** Timestamp of the next packet. */
  get timestamp(): number {
    return this.#timestamp;
  }

  /**
   * The next packet for `payload` holding `samples` samples. `speech` says whether it carries the agent's audio
   * (true) or silence (false): the first speech packet after silence carries the marker.
   */
  packet(payload: Uint8Array, samples: number, speech: boolean): Buffer {
    const marker = speech && !this.#talking;
    this.#talking = speech;
    const buf = encodeRtp({
      marker,
      payloadType: this.payloadType,
      sequence: this.#sequence,
      timestamp: this.#timestamp,
      ssrc: this.ssrc,
      payload,
    });
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + samples) >>> 0;
    this.packets += 1;
    return buf;
  }
}
