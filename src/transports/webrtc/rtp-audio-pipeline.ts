import { Reframer } from '../../audio/reframer.js';
import type { RtpAudioCodec } from './rtp-codec-spec.js';
import type { JitterTake, RtpJitterBuffer } from './rtp-jitter-buffer.js';
import { type RtpSendHeader, RtpSendSequencer } from './rtp-send-sequencer.js';
import type { ReceivedRtp } from './webrtc-peer.js';

/** Where the pipeline sends RTP (a `WebRtcPeer`). */
export interface RtpSink {
  sendRtp(header: RtpSendHeader, payload: Buffer): void;
}

export interface RtpAudioPipelineOptions {
  readonly codec: RtpAudioCodec;
  readonly payloadType: number;
  readonly sink: RtpSink;
  readonly jitter: RtpJitterBuffer;
  /** Decoded (or concealed) agent audio, 20 ms per call, in `codec.format`. */
  readonly onAudio: (data: Buffer) => void;
  /** The agent's stream paused: the jitter buffer ran dry and stopped playing. */
  readonly onPause?: () => void;
  /** Caller frames waiting to be sent; the oldest are dropped beyond it. Default 2 (40 ms). */
  readonly maxQueuedFrames?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface RtpAudioPipelineStats {
  framesSent: number;
  /** Caller frames dropped because more arrived than real time allows (a burst, or a fast leg clock). */
  framesDropped: number;
  packetsReceived: number;
  /** Received packets whose payload type is not the negotiated one (dropped). */
  unexpectedPayloadType: number;
}

/**
 * One call's RTP audio both ways, driven by a 20 ms tick.
 *
 * Send: caller audio (in `codec.format`, any chunking) is cut into 20 ms frames and sent one per tick, with a
 * credit of two so a frame that arrives just before its tick is not held back. More frames than that wait in a
 * queue of `maxQueuedFrames` (drop-oldest), so a burst — the audio a bridge held while the agent connected, or a leg
 * whose clock runs fast — never reaches the agent faster than real time. Frames are encoded only when sent.
 *
 * Receive: packets of the negotiated payload type go into the jitter buffer; each tick takes one packet's worth and
 * decodes it, conceals it when lost, or yields nothing when the agent is silent (`onPause` marks the change).
 */
export class RtpAudioPipeline {
  readonly stats: RtpAudioPipelineStats = {
    framesSent: 0,
    framesDropped: 0,
    packetsReceived: 0,
    unexpectedPayloadType: 0,
  };
  readonly #o: RtpAudioPipelineOptions;
  readonly #reframer: Reframer;
  readonly #sequencer: RtpSendSequencer;
  readonly #queue: Buffer[] = [];
  readonly #maxQueued: number;
  readonly #now: () => number;
  #credit = 2;
  #playing = false;

  constructor(options: RtpAudioPipelineOptions) {
    this.#o = options;
    this.#reframer = new Reframer(options.codec.frameBytes);
    this.#sequencer = new RtpSendSequencer({
      timestampStep: options.codec.timestampStep,
      packetMs: 20,
      ...(options.random ? { random: options.random } : {}),
    });
    this.#maxQueued = Math.max(1, options.maxQueuedFrames ?? 2);
    this.#now = options.now ?? (() => performance.now());
  }

  /** Caller audio in `codec.format`. */
  send(chunk: Buffer): void {
    for (const frame of this.#reframer.push(chunk)) {
      this.#queue.push(frame);
      if (this.#queue.length > this.#maxQueued) {
        this.#queue.shift();
        this.stats.framesDropped += 1;
      }
    }
    this.#drain();
  }

  receive(packet: ReceivedRtp): void {
    if (packet.payloadType !== this.#o.payloadType) {
      this.stats.unexpectedPayloadType += 1;
      return;
    }
    this.stats.packetsReceived += 1;
    this.#o.jitter.push(packet.sequenceNumber, packet.payload);
  }

  /** One 20 ms step: send what is due, play one packet's worth of agent audio. */
  tick(): void {
    this.#credit = Math.min(2, this.#credit + 1);
    this.#drain();
    const starting = !this.#playing;
    const t = this.#o.jitter.take();
    // A stream (re)starting is preceded by one frame of silence: the call's playout then holds a frame in hand, so
    // a tick of this clock landing a little after the call's own tick never leaves the caller a gap.
    if (starting && t.kind !== 'idle') this.#o.onAudio(this.#o.codec.silence());
    this.#play(t);
  }

  /** Delivers one take; false when there was nothing to play. */
  #play(t: JitterTake): boolean {
    switch (t.kind) {
      case 'packet':
        this.#playing = true;
        this.#o.onAudio(this.#o.codec.decode(t.payload));
        return true;
      case 'lost':
        this.#playing = true;
        this.#o.onAudio(this.#o.codec.conceal());
        return true;
      case 'idle':
        if (this.#playing) {
          this.#playing = false;
          this.#o.onPause?.();
        }
        return false;
    }
  }

  /** True while the agent's stream plays (from its first packet until it pauses). */
  get receiving(): boolean {
    return this.#playing;
  }

  /** Drops the agent audio held in the jitter buffer (its utterance was cut); returns the packets dropped. */
  flushReceived(): number {
    return this.#o.jitter.flush();
  }

  #drain(): void {
    while (this.#credit > 0 && this.#queue.length > 0) {
      const frame = this.#queue.shift()!;
      this.#credit -= 1;
      this.#o.sink.sendRtp(this.#sequencer.next(this.#now()), this.#o.codec.encode(frame));
      this.stats.framesSent += 1;
    }
  }
}
