import { randomInt } from 'node:crypto';
import { type AudioFormat, bytesPerSample, formatsEqual, PCM8K, PCM16K } from '../audio/format.js';
import { FormatConverter } from '../audio/format-converter.js';
import type { ClockTick } from '../audio/media-clock.js';
import { silenceByte } from '../audio/silence.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import type { Logger } from '../observability/logger.js';
import {
  l16ToPcm,
  RTP_FORMAT_SPECS,
  RTP_HEADER_BYTES,
  RTP_NON_AUDIO_PAYLOAD_TYPES,
  type RtpFormat,
  RtpJitterBuffer,
  type RtpPacket,
  type RtpSendPlan,
  RtpSender,
  type RtpSenderStart,
} from '../protocols/rtp/index.js';
import type { RtpEndpoint } from '../transports/rtp/index.js';
import type { MediaLeg, MediaLegCloseReason, MediaLegEvents, OutboundFrameInfo } from './media-leg.js';

export interface RtpLegOptions {
  readonly id: string;
  readonly endpoint: RtpEndpoint;
  /** The format asked of Asterisk (what it sends; the leg's format). */
  readonly format: RtpFormat;
  /** What is sent towards Asterisk (see `rtpSendPlan`). */
  readonly send: RtpSendPlan;
  /** Extra payload types accepted from Asterisk as `format` (besides the one it uses). */
  readonly acceptPayloadTypes?: readonly number[] | undefined;
  /** Uplink jitter buffer depth, in ms. */
  readonly jitterMs: number;
  /** The media clock: the jitter buffer gives up on missing packets on its ticks. */
  readonly clock: { subscribe(listener: (tick: ClockTick) => void): () => void };
  readonly now?: () => number;
  /** Random SSRC, sequence and timestamp starts (tests fix them). */
  readonly start?: RtpSenderStart;
  readonly logger: Logger;
}

export interface RtpLegStats {
  packetsIn: number;
  packetsOut: number;
  /** Caller frames handed to the call: packets in order plus concealment. */
  framesDelivered: number;
  lost: number;
  concealed: number;
  late: number;
  duplicates: number;
  ssrcChanges: number;
  resyncs: number;
  wrongSource: number;
  rtcp: number;
  invalid: number;
  /** Packets of another payload type than the call's format (comfort noise, DTMF events, others). */
  otherPayloadType: number;
}

function randomStart(): RtpSenderStart {
  return { ssrc: randomInt(0, 2 ** 32 - 1), sequence: randomInt(0, 65536), timestamp: randomInt(0, 2 ** 32 - 1) };
}

/**
 * A call's UnicastRTP stream as its media leg. Caller audio: packets from Asterisk (its source only) → jitter
 * buffer (order, loss concealed) → L16 byte-swapped to little-endian, G.711 decoded → `audio` (PCM16: the call's
 * VAD and barge-in work the same on every format). Agent audio: each frame the bridge
 * sends on a media-clock tick (silence too, from the first tick: Asterisk may not send before audio flows) →
 * converted when the sent format differs (slin16 calls send 8 kHz L16 by default) → one RTP packet with our own
 * SSRC, sequence and timestamp, the marker on the first packet of each agent utterance. What was heard is what
 * was sent (no playout acknowledgement over RTP). RTP carries no hangup: `hangup` closes the socket and the call's
 * ARI side hangs the UnicastRTP channel up.
 */
export class RtpLeg extends TypedEmitter<MediaLegEvents> implements MediaLeg {
  readonly id: string;
  readonly format: AudioFormat;
  readonly #o: RtpLegOptions;
  readonly #endpoint: RtpEndpoint;
  readonly #jitter: RtpJitterBuffer;
  readonly #sender: RtpSender;
  readonly #accepted: ReadonlySet<number>;
  readonly #sendFormat: AudioFormat;
  /** Agent audio (PCM16 at the leg's rate) → the sent format: G.711 encoding, resampling, or nothing. */
  readonly #toWire: FormatConverter | undefined;
  /** Caller audio of a G.711 call → PCM16 (L16 is only byte-swapped). */
  readonly #fromWire: FormatConverter | undefined;
  readonly #now: () => number;
  readonly #unsubscribe: () => void;
  #otherPayloadType = 0;
  #warnedPayloadType = false;
  #closeReason: MediaLegCloseReason = 'closed';
  #closed = false;

  constructor(options: RtpLegOptions) {
    super();
    this.#o = options;
    this.id = options.id;
    this.#endpoint = options.endpoint;
    const spec = RTP_FORMAT_SPECS[options.format];
    // G.711 is decoded at the edge: the call (VAD, barge-in, agents) sees PCM16 at the format's rate.
    this.format = spec.audio.sampleRate === 16000 ? PCM16K : PCM8K;
    this.#sendFormat = RTP_FORMAT_SPECS[options.send.format].audio;
    this.#toWire = formatsEqual(this.format, this.#sendFormat)
      ? undefined
      : new FormatConverter(this.format, this.#sendFormat);
    this.#fromWire = spec.audio.encoding === 'pcm16' ? undefined : new FormatConverter(spec.audio, this.format);
    this.#now = options.now ?? (() => performance.now());
    this.#accepted = new Set([spec.asteriskPayloadType, ...(options.acceptPayloadTypes ?? [])]);
    this.#jitter = new RtpJitterBuffer({
      depthMs: options.jitterMs,
      silence: Buffer.alloc(
        (spec.audio.sampleRate / 50) * bytesPerSample(spec.audio.encoding),
        silenceByte(spec.audio),
      ),
    });
    this.#sender = new RtpSender(options.send.payloadType, options.start ?? randomStart());
    this.#endpoint.on('packet', (p) => this.#onPacket(p));
    this.#endpoint.on('close', () => this.#onClosed());
    this.#unsubscribe = options.clock.subscribe(() => this.#deliver(this.#jitter.poll(this.#now())));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The UDP port Asterisk sends to. */
  get port(): number {
    return this.#endpoint.port;
  }

  get sender(): RtpSender {
    return this.#sender;
  }

  get stats(): RtpLegStats {
    const j = this.#jitter.stats;
    const e = this.#endpoint.stats;
    return {
      packetsIn: e.packetsIn,
      packetsOut: e.packetsOut,
      framesDelivered: j.released + j.concealed,
      lost: j.lost,
      concealed: j.concealed,
      late: j.late,
      duplicates: j.duplicates,
      ssrcChanges: j.ssrcChanges,
      resyncs: j.resyncs,
      wrongSource: e.wrongSource,
      rtcp: e.rtcp,
      invalid: e.invalid,
      otherPayloadType: this.#otherPayloadType,
    };
  }

  sendFrame(frame: Buffer, info?: OutboundFrameInfo): void {
    if (this.#closed) return;
    // The converter's scratch output is copied into the packet at once, so it need not be a copy of its own.
    const wire = this.#toWire ? this.#toWire.pushTransient(frame) : frame;
    const encoding = this.#sendFormat.encoding;
    const payload = encoding === 'pcm16' ? wire.subarray(0, wire.length & ~1) : wire;
    if (payload.length === 0) return;
    const samples = payload.length / bytesPerSample(encoding);
    const packet = this.#sender.packet(payload, samples, info?.silence === false);
    // L16 is big-endian: swapped in the packet itself, which holds the only copy of the payload.
    if (encoding === 'pcm16') packet.subarray(RTP_HEADER_BYTES, RTP_HEADER_BYTES + payload.length).swap16();
    this.#endpoint.send(packet);
  }

  hangup(): void {
    if (this.#closed) return;
    this.#closeReason = 'hangup_sent';
    this.#endpoint.close();
  }

  async close(): Promise<void> {
    this.#endpoint.close();
  }

  #onPacket(p: RtpPacket): void {
    if (!this.#accepted.has(p.payloadType)) {
      this.#otherPayloadType += 1;
      if (!RTP_NON_AUDIO_PAYLOAD_TYPES.has(p.payloadType) && !this.#warnedPayloadType) {
        this.#warnedPayloadType = true;
        this.#o.logger.warn(
          { payloadType: p.payloadType, expected: [...this.#accepted], format: this.#o.format },
          'RTP of an unexpected payload type dropped',
        );
      }
      return;
    }
    this.#deliver(this.#jitter.push({ sequence: p.sequence, ssrc: p.ssrc, payload: p.payload }, this.#now()));
  }

  #deliver(frames: readonly { payload: Buffer }[]): void {
    if (this.#closed) return;
    for (const f of frames) {
      if (f.payload.length === 0) continue;
      this.emit('audio', this.#fromWire ? this.#fromWire.push(f.payload) : l16ToPcm(f.payload), this.format);
    }
  }

  #onClosed(): void {
    if (this.#closed) return;
    this.#deliver(this.#jitter.flush());
    this.#closed = true;
    this.#unsubscribe();
    this.#o.logger.info({ port: this.#endpoint.port, ...this.stats }, 'RTP stream ended');
    this.emit('close', this.#closeReason);
  }
}

/** RTP counters of ended calls, added up. */
export interface RtpTotalsSnapshot {
  readonly calls: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly lost: number;
  readonly concealed: number;
  readonly late: number;
  readonly wrongSource: number;
}

/** The RTP counters of every call that has ended, added up (metrics). */
export class RtpTotals {
  #t = { calls: 0, packetsIn: 0, packetsOut: 0, lost: 0, concealed: 0, late: 0, wrongSource: 0 };

  add(s: RtpLegStats): void {
    const t = this.#t;
    t.calls += 1;
    t.packetsIn += s.packetsIn;
    t.packetsOut += s.packetsOut;
    t.lost += s.lost;
    t.concealed += s.concealed;
    t.late += s.late;
    t.wrongSource += s.wrongSource;
  }

  snapshot(): RtpTotalsSnapshot {
    return { ...this.#t };
  }
}
