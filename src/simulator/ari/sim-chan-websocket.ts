/**
 * The Asterisk end of one chan_websocket media connection (recorded in 09-chan-websocket-json): MEDIA_START first,
 * caller audio as raw frames every 20 ms once the channel is bridged, and a playout queue for what the application
 * sends: whole optimal-size frames (a remainder is dropped unless START_MEDIA_BUFFERING brackets it), at most
 * `queueMaxFrames`, MEDIA_XOFF at `xoffLevel` and MEDIA_XON below `xonLevel`, one frame played per tick, marks
 * reported (MEDIA_MARK_PROCESSED) once the frames before them were played, FLUSH_MEDIA empties the queue without a
 * reply and drops pending marks, GET_STATUS answers STATUS at once, a message over 65,500 bytes closes the socket
 * and hangs up. Hangup closes the socket with code 1000.
 */
import type { WebSocket } from 'ws';
import type { ClockTick } from '../../audio/media-clock.js';
import {
  CHAN_WEBSOCKET_MAX_MESSAGE_BYTES,
  type ChanWebSocketCommand,
  type ChanWebSocketEvent,
  type ControlFormat,
  encodeChanWebSocketEvent,
  parseChanWebSocketCommand,
} from '../../protocols/chan-websocket/index.js';
import { type FrameSource, openAudioSourceOrSilence } from '../audio/audio-source.js';

export interface SimChanWebSocketLimits {
  readonly queueMaxFrames: number;
  readonly xoffLevel: number;
  readonly xonLevel: number;
}

export interface SimChanWebSocketOptions extends SimChanWebSocketLimits {
  readonly ws: WebSocket;
  readonly connectionId: string;
  readonly channelName: string;
  readonly channelId: string;
  /** ARI format: slin, slin16, ulaw, alaw. */
  readonly format: string;
  readonly frameBytes: number;
  readonly controlFormat: ControlFormat;
  readonly channelVariables: Record<string, string>;
  /** Caller audio frames sent before MEDIA_START (reproduces asterisk#1712); 0 by default. */
  readonly earlyAudioFrames: number;
  /** Keep the arrival time of every BINARY message (frame timing measurements). */
  readonly recordArrivals?: boolean | undefined;
  /** The application closed the socket, sent HANGUP or broke the size limit: the channel hangs up. */
  readonly onHangupRequest: (why: string) => void;
}

/** A frame the simulated channel played (took from its queue at 20 ms pace). */
export interface PlayedFrame {
  readonly at: number;
  readonly data: Buffer;
}

type QueueEntry = { kind: 'frame'; data: Buffer } | { kind: 'mark'; id: string };

const SAMPLE_RATES: Readonly<Record<string, number>> = { slin: 8000, slin16: 16000, ulaw: 8000, alaw: 8000 };

export class SimChanWebSocket {
  readonly connectionId: string;
  readonly channelId: string;
  readonly format: string;
  readonly frameBytes: number;
  /** Frames played out of the queue, in order. */
  readonly played: PlayedFrame[] = [];
  /** Every TEXT message from the application, as received. */
  readonly commands: string[] = [];
  /** Every TEXT message sent to the application. */
  readonly events: string[] = [];
  /** Sizes of the application's BINARY messages. */
  readonly binarySizes: number[] = [];
  /** Arrival times (performance.now) of the application's BINARY messages, when `recordArrivals` is on. */
  readonly arrivals: number[] = [];
  /** Protocol rules the application broke (odd-sized frames outside buffering, oversize messages). */
  readonly violations: string[] = [];
  /** Caller audio frames sent, MEDIA_START frames before it counted too. */
  callerFramesSent = 0;
  /** Frames refused because the queue was full. */
  queueFullDrops = 0;
  readonly #o: SimChanWebSocketOptions;
  #queue: QueueEntry[] = [];
  #queuedFrames = 0;
  #xoff = false;
  #paused = false;
  /** `stopSendingFor`: ms asked for, then the tick time caller audio resumes at. */
  #quietMs: number | undefined;
  #quietUntil: number | undefined;
  #bulk: Buffer[] | undefined;
  #drainedWanted = false;
  #source: FrameSource | undefined;
  #bridged = false;
  #started = false;
  #closed = false;
  readonly #closedPromise: Promise<void>;

  constructor(options: SimChanWebSocketOptions) {
    this.#o = options;
    this.connectionId = options.connectionId;
    this.channelId = options.channelId;
    this.format = options.format;
    this.frameBytes = options.frameBytes;
    const ws = options.ws;
    this.#closedPromise = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (isBinary) this.#onBinary(buf);
      else this.#onText(buf.toString('utf8'));
    });
    ws.on('close', () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#o.onHangupRequest('media socket closed');
    });
    ws.on('error', () => undefined);
    if (options.earlyAudioFrames === 0) this.#sendStart();
  }

  /** Settles when the socket has closed. */
  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  get queueLength(): number {
    return this.#queuedFrames;
  }

  /** Asterisk hangs up: the socket closes with 1000 and no text event first. */
  hangup(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#o.ws.close(1000, '');
  }

  /**
   * Goes quiet like a silence-suppressed or muted caller: from the next tick, sends no caller frame at all for
   * `durationMs`, then carries on where the audio source stopped.
   */
  stopSendingFor(durationMs: number): void {
    this.#quietMs = durationMs;
  }

  /** True while a `stopSendingFor` gap is in progress. */
  get wireGapActive(): boolean {
    return this.#quietMs !== undefined || this.#quietUntil !== undefined;
  }

  sendDtmf(digit: string): void {
    this.#send({ event: 'DTMF_END', channel_id: this.channelId, digit });
  }

  /** The channel shares a bridge now: caller audio (`audio` of the peer) starts flowing. */
  bridged(audio: unknown): void {
    if (this.#bridged) return;
    this.#bridged = true;
    const rate = SAMPLE_RATES[this.format] ?? 8000;
    this.#source = openAudioSourceOrSilence(audio, rate);
  }

  /** MEDIA_START, sent at once or after the early frames. */
  #sendStart(): void {
    if (this.#started) return;
    this.#started = true;
    this.#send({
      event: 'MEDIA_START',
      connection_id: this.connectionId,
      channel: this.#o.channelName,
      channel_id: this.channelId,
      format: this.format,
      optimal_frame_size: this.frameBytes,
      ptime: 20,
      channel_variables: this.#o.channelVariables,
    });
  }

  /** One 20 ms tick: play one queued frame (marks around it are reported), then send one caller frame. */
  tick(tick: ClockTick): void {
    if (this.#closed) return;
    if (!this.#paused) {
      this.#reportHeadMarks();
      const head = this.#queue[0];
      if (head?.kind === 'frame') {
        this.#queue.shift();
        this.#queuedFrames -= 1;
        this.played.push({ at: tick.firedAt, data: head.data });
        this.#reportHeadMarks();
      }
      if (this.#xoff && this.#queuedFrames < this.#o.xonLevel) {
        this.#xoff = false;
        this.#send({ event: 'MEDIA_XON', channel_id: this.channelId });
      }
      if (this.#drainedWanted && this.#queue.length === 0) {
        this.#drainedWanted = false;
        this.#send({ event: 'QUEUE_DRAINED', channel_id: this.channelId });
      }
    }
    if (!this.#bridged || !this.#source) return;
    if (this.#quietMs !== undefined) {
      this.#quietUntil = tick.scheduledAt + this.#quietMs;
      this.#quietMs = undefined;
    }
    if (this.#quietUntil !== undefined) {
      if (tick.scheduledAt < this.#quietUntil) return;
      this.#quietUntil = undefined;
    }
    const samples = this.format === 'slin' || this.format === 'slin16' ? this.frameBytes / 2 : this.frameBytes;
    const pcm = this.#source.next(samples);
    if (!pcm) return;
    const payload = this.format === 'slin' || this.format === 'slin16' ? pcm : Buffer.alloc(this.frameBytes, 0xff);
    if (this.#o.ws.readyState !== this.#o.ws.OPEN) return;
    this.#o.ws.send(payload, { binary: true });
    this.callerFramesSent += 1;
    if (!this.#started && this.callerFramesSent >= this.#o.earlyAudioFrames) this.#sendStart();
  }

  #reportHeadMarks(): void {
    while (this.#queue[0]?.kind === 'mark') {
      const mark = this.#queue.shift() as { kind: 'mark'; id: string };
      this.#send({ event: 'MEDIA_MARK_PROCESSED', channel_id: this.channelId, correlation_id: mark.id });
    }
  }

  #onBinary(data: Buffer): void {
    this.binarySizes.push(data.length);
    if (this.#o.recordArrivals) this.arrivals.push(performance.now());
    if (data.length > CHAN_WEBSOCKET_MAX_MESSAGE_BYTES) {
      this.violations.push(`message of ${data.length} bytes exceeds ${CHAN_WEBSOCKET_MAX_MESSAGE_BYTES}`);
      this.hangup();
      this.#o.onHangupRequest('oversize media message');
      return;
    }
    if (this.#bulk) {
      this.#bulk.push(data);
      return;
    }
    const whole = data.length - (data.length % this.frameBytes);
    if (whole !== data.length) this.violations.push(`${data.length} bytes is not a multiple of ${this.frameBytes}`);
    for (let at = 0; at < whole; at += this.frameBytes) this.#enqueue(data.subarray(at, at + this.frameBytes));
  }

  #enqueue(frame: Buffer): void {
    if (this.#queuedFrames >= this.#o.queueMaxFrames) {
      this.queueFullDrops += 1;
      return;
    }
    this.#queue.push({ kind: 'frame', data: Buffer.from(frame) });
    this.#queuedFrames += 1;
    if (!this.#xoff && this.#queuedFrames >= this.#o.xoffLevel) {
      this.#xoff = true;
      this.#send({ event: 'MEDIA_XOFF', channel_id: this.channelId });
    }
  }

  #onText(text: string): void {
    this.commands.push(text);
    const parsed = parseChanWebSocketCommand(text, this.#o.controlFormat);
    switch (parsed.kind) {
      case 'unparseable':
        this.#send({
          event: 'ERROR',
          channel_id: this.channelId,
          error_text: this.#o.controlFormat === 'json' ? 'Unable to parse JSON command' : 'Unable to parse command',
        });
        return;
      case 'unknown':
        return; // Asterisk only logs a WARNING.
      case 'command':
        this.#command(parsed.command);
        return;
    }
  }

  #command(cmd: ChanWebSocketCommand): void {
    switch (cmd.command) {
      case 'MARK_MEDIA':
        this.#queue.push({ kind: 'mark', id: cmd.correlation_id });
        return;
      case 'FLUSH_MEDIA':
        this.#queue = [];
        this.#queuedFrames = 0;
        this.#bulk = undefined;
        this.#paused = false;
        if (this.#xoff) {
          this.#xoff = false;
          this.#send({ event: 'MEDIA_XON', channel_id: this.channelId });
        }
        return;
      case 'GET_STATUS':
        this.#send({
          event: 'STATUS',
          channel_id: this.channelId,
          queue_length: this.#queuedFrames,
          xon_level: this.#o.xonLevel,
          xoff_level: this.#o.xoffLevel,
          queue_full: this.#queuedFrames >= this.#o.queueMaxFrames,
          bulk_media: this.#bulk !== undefined,
          media_paused: this.#paused,
        });
        return;
      case 'REPORT_QUEUE_DRAINED':
        this.#drainedWanted = true;
        return;
      case 'START_MEDIA_BUFFERING':
        this.#bulk ??= [];
        return;
      case 'STOP_MEDIA_BUFFERING': {
        const all = Buffer.concat(this.#bulk ?? []);
        this.#bulk = undefined;
        const frames = Math.ceil(all.length / this.frameBytes);
        const padded = Buffer.alloc(frames * this.frameBytes);
        all.copy(padded);
        for (let i = 0; i < frames; i++) this.#enqueue(padded.subarray(i * this.frameBytes, (i + 1) * this.frameBytes));
        this.#send({
          event: 'MEDIA_BUFFERING_COMPLETED',
          channel_id: this.channelId,
          ...(cmd.correlation_id === undefined ? {} : { correlation_id: cmd.correlation_id }),
        });
        return;
      }
      case 'PAUSE_MEDIA':
        this.#paused = true;
        return;
      case 'CONTINUE_MEDIA':
        this.#paused = false;
        return;
      case 'HANGUP':
        this.hangup();
        this.#o.onHangupRequest('HANGUP command');
        return;
      case 'ANSWER':
      case 'SET_MEDIA_DIRECTION':
        return;
    }
  }

  #send(event: ChanWebSocketEvent): void {
    const ws = this.#o.ws;
    if (ws.readyState !== ws.OPEN) return;
    const text = encodeChanWebSocketEvent(event, this.#o.controlFormat);
    this.events.push(text);
    ws.send(text, { binary: false });
  }
}
