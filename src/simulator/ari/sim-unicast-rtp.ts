/**
 * The Asterisk end of one UnicastRTP channel (ARI externalMedia `encapsulation=rtp transport=udp`), as chan_rtp
 * and res_rtp_asterisk behave:
 * - one UDP socket on the local address Asterisk uses towards `external_host`; that address and port are the
 *   channel's `UNICASTRTP_LOCAL_ADDRESS` / `UNICASTRTP_LOCAL_PORT`;
 * - nothing is sent until the channel is bridged and audio flows; then one packet per 20 ms to `external_host`,
 *   with the payload type of the global table (μ-law 0, A-law 8, slin 10, slin16 118), L16 in network byte order,
 *   a random SSRC, sequence and timestamp, and never a marker bit (recorded: not even on the first packet);
 * - received packets are read only with a payload type the channel can resolve: static types up to 34 through
 *   the global table (0 μ-law, 8 A-law, 10 and 11 slin), dynamic ones (118 …) are dropped, as UnicastRTP maps no
 *   dynamic type; a voice frame of another format than the channel's is accepted (Asterisk converts it);
 * - strict RTP: the first source heard is the only one accepted afterwards;
 * - DTMF is not sent over the stream (UnicastRTP has no digit callbacks): ARI reports it on the caller's channel;
 * - a hangup closes the socket; nothing is sent to say so.
 * Built from Asterisk's source and checked against the recordings of fixtures 11-18 (asterisk-22.10).
 */
import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { ClockTick } from '../../audio/media-clock.js';
import { alawEncode, ulawEncode } from '../../audio/g711.js';
import { pcmSamples } from '../../audio/format.js';
import { decodeRtp, encodeRtp, l16ToPcm, pcmToL16 } from '../../protocols/rtp/index.js';
import { type FrameSource, openAudioSourceOrSilence } from '../audio/audio-source.js';

/** Payload types UnicastRTP sends per ARI format. */
export const UNICAST_RTP_SEND_PT: Readonly<Record<string, number>> = { ulaw: 0, alaw: 8, slin: 10, slin16: 118 };
/** Payload types UnicastRTP reads (static, through the global table) and what they carry. */
export const UNICAST_RTP_READ_PT: Readonly<Record<number, { format: string; rate: number }>> = {
  0: { format: 'ulaw', rate: 8000 },
  8: { format: 'alaw', rate: 8000 },
  10: { format: 'slin', rate: 8000 },
  11: { format: 'slin', rate: 8000 },
};
const RATES: Readonly<Record<string, number>> = { ulaw: 8000, alaw: 8000, slin: 8000, slin16: 16000 };

/** A packet the channel read (took into Asterisk): audio decoded to little-endian PCM16 for L16. */
export interface SimRtpReceived {
  readonly at: number;
  readonly payloadType: number;
  readonly marker: boolean;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  /** ulaw / alaw / slin, by payload type. */
  readonly format: string;
  readonly rate: number;
  /** G.711 bytes, or PCM16 little-endian for slin. */
  readonly data: Buffer;
}

/** What the test can make the stream do wrong, one packet at a time. */
export interface SimRtpFaults {
  /** Drop the next n packets (never sent). */
  dropNext(n: number): void;
  /** Hold the next packet and send it after the one that follows (reorder). */
  swapNext(): void;
  /** Send the next packet twice. */
  duplicateNext(): void;
  /** From the next packet: a new SSRC and a new random sequence and timestamp (re-INVITE, transcoder). */
  restartStream(): void;
  /** Send an RTCP receiver report from the stream's socket. */
  sendRtcp(): void;
}

export interface SimUnicastRtpOptions {
  readonly channelId: string;
  /** ARI format asked for: ulaw, alaw, slin, slin16. */
  readonly format: string;
  /** `external_host`. */
  readonly target: { readonly host: string; readonly port: number };
  /** Local address to bind (the address Asterisk uses towards the target). Default 127.0.0.1. */
  readonly localAddress?: string;
  /**
   * Send nothing until a packet has been read from the application, as a real Asterisk may do until audio flows
   * through the bridge. Default false (send once bridged).
   */
  readonly waitForAudio?: boolean;
}

export class SimUnicastRtp implements SimRtpFaults {
  readonly channelId: string;
  readonly format: string;
  readonly localAddress: string;
  /** Packets the channel read from the application, in arrival order. */
  readonly received: SimRtpReceived[] = [];
  /** Packets it dropped: unknown payload type, wrong source, undecodable. */
  readonly dropped = { payloadType: 0, source: 0, invalid: 0, rtcp: 0 };
  /** Payload types of dropped packets (the first few). */
  readonly droppedPayloadTypes = new Set<number>();
  /** Caller packets sent so far. */
  packetsSent = 0;
  readonly #o: SimUnicastRtpOptions;
  readonly #socket: Socket;
  #port = 0;
  #source: FrameSource | undefined;
  #bridged = false;
  #closed = false;
  #learned: string | undefined;
  #ssrc = randomInt(0, 2 ** 32 - 1);
  #seq = randomInt(0, 65536);
  #ts = randomInt(0, 2 ** 32 - 1);
  #drop = 0;
  #swap = false;
  #held: Buffer | undefined;
  #duplicate = false;
  #quietUntil: number | undefined;
  #quietMs: number | undefined;
  readonly #closedPromise: Promise<void>;

  private constructor(options: SimUnicastRtpOptions, socket: Socket) {
    this.#o = options;
    this.channelId = options.channelId;
    this.format = options.format;
    this.localAddress = options.localAddress ?? '127.0.0.1';
    this.#socket = socket;
    this.#closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    socket.on('error', () => undefined);
  }

  /** Binds the channel's socket (any free port, as Asterisk takes one of rtpstart..rtpend). */
  static async open(options: SimUnicastRtpOptions): Promise<SimUnicastRtp> {
    const address = options.localAddress ?? '127.0.0.1';
    const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const rtp = new SimUnicastRtp(options, socket);
    rtp.#port = socket.address().port;
    return rtp;
  }

  get localPort(): number {
    return this.#port;
  }

  /** The UNICASTRTP_* channel variables of the externalMedia answer. */
  get channelvars(): Record<string, string> {
    return { UNICASTRTP_LOCAL_ADDRESS: this.localAddress, UNICASTRTP_LOCAL_PORT: String(this.#port) };
  }

  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  /** Where the stream sends (`external_host`). */
  get target(): { readonly host: string; readonly port: number } {
    return this.#o.target;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** The channel shares a bridge now: the peer's `audio` starts flowing to the application. */
  bridged(audio: unknown): void {
    if (this.#bridged) return;
    this.#bridged = true;
    const rate = RATES[this.format] ?? 8000;
    this.#source = openAudioSourceOrSilence(audio, rate);
  }

  /** Asterisk hangs the channel up: the socket closes, nothing more is sent. */
  hangup(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }

  /** Goes quiet (a muted caller): no packet at all for `durationMs` from the next tick. */
  stopSendingFor(durationMs: number): void {
    this.#quietMs = durationMs;
  }

  dropNext(n: number): void {
    this.#drop += n;
  }

  swapNext(): void {
    this.#swap = true;
  }

  duplicateNext(): void {
    this.#duplicate = true;
  }

  restartStream(): void {
    this.#ssrc = randomInt(0, 2 ** 32 - 1);
    this.#seq = randomInt(0, 65536);
    this.#ts = randomInt(0, 2 ** 32 - 1);
  }

  sendRtcp(): void {
    // An empty receiver report: V=2, RC=0, PT=201, length 1 (8 bytes), our SSRC.
    const rr = Buffer.alloc(8);
    rr[0] = 0x80;
    rr[1] = 201;
    rr.writeUInt16BE(1, 2);
    rr.writeUInt32BE(this.#ssrc >>> 0, 4);
    this.#sendRaw(rr);
  }

  /** One 20 ms tick: one packet of caller audio, once bridged. */
  tick(tick: ClockTick): void {
    if (this.#closed || !this.#bridged || !this.#source) return;
    if (this.#o.waitForAudio && this.received.length === 0) return;
    if (this.#quietMs !== undefined) {
      this.#quietUntil = tick.scheduledAt + this.#quietMs;
      this.#quietMs = undefined;
    }
    if (this.#quietUntil !== undefined) {
      if (tick.scheduledAt < this.#quietUntil) return;
      this.#quietUntil = undefined;
    }
    const samples = (RATES[this.format] ?? 8000) / 50;
    const pcm = this.#source.next(samples);
    if (!pcm) return;
    const payload =
      this.format === 'ulaw'
        ? ulawEncode(pcmSamples(pcm))
        : this.format === 'alaw'
          ? alawEncode(pcmSamples(pcm))
          : pcmToL16(pcm);
    const packet = encodeRtp({
      marker: false,
      payloadType: UNICAST_RTP_SEND_PT[this.format] ?? 10,
      sequence: this.#seq,
      timestamp: this.#ts,
      ssrc: this.#ssrc,
      payload,
    });
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#ts = (this.#ts + samples) >>> 0;
    this.packetsSent += 1;
    if (this.#drop > 0) {
      this.#drop -= 1;
      return;
    }
    if (this.#swap) {
      this.#swap = false;
      this.#held = packet;
      return;
    }
    this.#sendRaw(packet);
    if (this.#duplicate) {
      this.#duplicate = false;
      this.#sendRaw(packet);
    }
    if (this.#held) {
      const held = this.#held;
      this.#held = undefined;
      this.#sendRaw(held);
    }
  }

  #sendRaw(datagram: Buffer): void {
    if (this.#closed) return;
    this.#socket.send(datagram, this.#o.target.port, this.#o.target.host, () => undefined);
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#closed) return;
    const from = `${rinfo.address}:${rinfo.port}`;
    this.#learned ??= from;
    if (from !== this.#learned) {
      this.dropped.source += 1;
      return;
    }
    const d = decodeRtp(msg);
    if (d.kind === 'rtcp') {
      this.dropped.rtcp += 1;
      return;
    }
    if (d.kind === 'invalid') {
      this.dropped.invalid += 1;
      return;
    }
    const p = d.packet;
    const read = UNICAST_RTP_READ_PT[p.payloadType];
    if (!read) {
      this.dropped.payloadType += 1;
      this.droppedPayloadTypes.add(p.payloadType);
      return;
    }
    this.received.push({
      at: performance.now(),
      payloadType: p.payloadType,
      marker: p.marker,
      sequence: p.sequence,
      timestamp: p.timestamp,
      ssrc: p.ssrc,
      format: read.format,
      rate: read.rate,
      data: read.format === 'slin' ? l16ToPcm(p.payload) : Buffer.from(p.payload),
    });
  }
}
