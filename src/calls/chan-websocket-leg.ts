import { type AudioFormat, ALAW8K, FRAME_MS, PCM8K, PCM16K, ULAW8K } from '../audio/format.js';
import { assertNever } from '../lib/assert-never.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import type { Logger } from '../observability/logger.js';
import type {
  ChanWebSocketCloseInfo,
  ChanWebSocketConnection,
  ChanWebSocketControlEvent,
} from '../transports/chan-websocket/chan-websocket-connection.js';
import type { MediaLeg, MediaLegCloseReason, MediaLegEvents, OutboundFrameInfo, PlayoutAck } from './media-leg.js';

/** With Asterisk pacing, most frames sent on one media-clock tick (so an XOFF can land between bursts). */
const MAX_FRAMES_PER_TICK = 10;

/**
 * How long a flush waits for Asterisk's STATUS reply (the barrier behind FLUSH_MEDIA) before it counts every frame
 * not yet acknowledged as thrown away.
 */
export const FLUSH_CONFIRM_TIMEOUT_MS = 500;

/** Who paces agent audio towards Asterisk over chan_websocket. */
export const CHAN_WEBSOCKET_PACINGS = ['clock', 'asterisk'] as const;
export type ChanWebSocketPacing = (typeof CHAN_WEBSOCKET_PACINGS)[number];

export interface ChanWebSocketLegOptions {
  readonly id: string;
  readonly connection: ChanWebSocketConnection;
  /** The format asked of Asterisk; MEDIA_START has the final word. */
  readonly expectedFormat: AudioFormat;
  /**
   * `clock`: one frame per media-clock tick, silence included (Asterisk's queue stays near empty). `asterisk`:
   * agent audio is sent ahead, up to `leadMs`, and Asterisk's 20 ms timer paces it (bulk send).
   */
  readonly pacing: ChanWebSocketPacing;
  /** With `asterisk` pacing: most unplayed agent audio sent ahead, in ms. */
  readonly leadMs: number;
  readonly logger: Logger;
}

/** The adapter's media format for a chan_websocket format name; undefined for formats it does not handle. */
export function chanWebSocketAudioFormat(name: string): AudioFormat | undefined {
  switch (name) {
    case 'slin':
      return PCM8K;
    case 'slin16':
      return PCM16K;
    case 'ulaw':
      return ULAW8K;
    case 'alaw':
      return ALAW8K;
    default:
      return undefined;
  }
}

interface SentFrames {
  /** Sequence number of the last frame of this send (the mark after it carries `m<seq>`). */
  readonly seq: number;
  readonly utteranceId: string | undefined;
  readonly ms: number;
}

/** A flush waiting for its barrier: the frames sent before it that Asterisk had not acknowledged yet. */
interface PendingFlush {
  frames: SentFrames[];
  /** Sequence number of the last frame sent before the flush. */
  readonly seq: number;
  settled: boolean;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (lost: Map<string, number>) => void;
}

function closeReason(info: ChanWebSocketCloseInfo, hangupSent: boolean): MediaLegCloseReason {
  switch (info.reason) {
    case 'remote_closed':
      return hangupSent ? 'hangup_sent' : 'remote_closed';
    case 'local_close':
      return hangupSent ? 'hangup_sent' : 'closed';
    case 'protocol_error':
      return 'protocol_error';
    case 'socket_error':
      return 'error';
    default:
      return assertNever(info.reason);
  }
}

/**
 * A chan_websocket connection as a call's media leg, with playout acknowledgement: every frame of agent audio is
 * followed by `MARK_MEDIA m<seq>`, and Asterisk's `MEDIA_MARK_PROCESSED` says it reached the channel. So what
 * the caller heard is what Asterisk acknowledged. A flush (barge-in) sends `FLUSH_MEDIA` and then `GET_STATUS`:
 * Asterisk handles both on the channel's thread, in order with its playout, so every mark of audio it played before
 * the flush is reported before the STATUS reply. That reply closes the account of what was thrown away unplayed,
 * exact even when our process was slow to read the marks. MEDIA_XOFF stops sending until MEDIA_XON; the bridge's
 * playout buffer holds the audio.
 */
export class ChanWebSocketLeg extends TypedEmitter<MediaLegEvents> implements MediaLeg, PlayoutAck {
  readonly id: string;
  readonly #o: ChanWebSocketLegOptions;
  readonly #conn: ChanWebSocketConnection;
  readonly #log: Logger;
  readonly #leadFrames: number;
  #format: AudioFormat;
  #seq = 0;
  /** Agent audio sent and marked, not yet acknowledged, oldest first. */
  #pending: SentFrames[] = [];
  #pendingMs = 0;
  #waiters: { seq: number; fn: (played: boolean) => void }[] = [];
  /** Flushes whose STATUS reply has not arrived, oldest first (a timed-out one stays until its reply). */
  #flushes: PendingFlush[] = [];
  #xoff = false;
  #hangupSent = false;
  #closed = false;
  /** Counters: marks sent and acknowledged, flushes, flushes whose STATUS reply did not come in time, XOFF episodes. */
  readonly stats = { marksSent: 0, marksAcked: 0, flushes: 0, flushConfirmTimeouts: 0, xoffs: 0 };

  constructor(options: ChanWebSocketLegOptions) {
    super();
    this.#o = options;
    this.id = options.id;
    this.#conn = options.connection;
    this.#log = options.logger;
    this.#leadFrames = Math.max(1, Math.round(options.leadMs / FRAME_MS));
    this.#format = this.#startFormat() ?? options.expectedFormat;
    const conn = this.#conn;
    conn.on('start', () => {
      const f = this.#startFormat();
      if (f && (f.sampleRate !== this.#format.sampleRate || f.encoding !== this.#format.encoding)) {
        this.#format = f;
        this.emit('formatChange', f);
      }
    });
    conn.on('audio', (data) => this.emit('audio', data, this.#format));
    conn.on('control', (event) => this.#onControl(event));
    conn.on('close', (info) => {
      this.#closed = true;
      this.#settleAll(false);
      this.emit('close', closeReason(info, this.#hangupSent));
    });
  }

  /** Listening for `audio` starts the connection's delivery (audio held until then is not lost). */
  override on<K extends keyof MediaLegEvents & string>(event: K, listener: (...args: MediaLegEvents[K]) => void): this {
    super.on(event, listener);
    if (event === 'audio') this.#conn.startDelivery();
    return this;
  }

  get format(): AudioFormat {
    return this.#format;
  }

  get closed(): boolean {
    return this.#closed || this.#conn.closed;
  }

  get playoutAck(): PlayoutAck {
    return this;
  }

  get connection(): ChanWebSocketConnection {
    return this.#conn;
  }

  /** True between MEDIA_XOFF and MEDIA_XON. */
  get paused(): boolean {
    return this.#xoff;
  }

  get sendsSilence(): boolean {
    return this.#o.pacing === 'clock';
  }

  framesWanted(): number {
    if (this.closed || this.#xoff || !this.#conn.mediaStart) return 0;
    if (this.#o.pacing === 'clock') return 1;
    return Math.min(MAX_FRAMES_PER_TICK, Math.max(0, this.#leadFrames - this.#pending.length));
  }

  unplayedMs(): number {
    return this.#pendingMs;
  }

  sendFrame(frame: Buffer, info?: OutboundFrameInfo): void {
    if (this.closed) return;
    const n = this.#conn.sendAudio(frame);
    if (n === 0) return;
    this.#seq += n;
    if (info?.silence !== false) return;
    this.#conn.command({ command: 'MARK_MEDIA', correlation_id: `m${this.#seq}` });
    this.stats.marksSent += 1;
    const ms = n * FRAME_MS;
    this.#pending.push({ seq: this.#seq, utteranceId: info.utteranceId, ms });
    this.#pendingMs += ms;
  }

  afterPlayed(fn: (played: boolean) => void): void {
    const last = this.#pending.at(-1);
    if (!last) {
      fn(true);
      return;
    }
    this.#waiters.push({ seq: last.seq, fn });
  }

  flushPlayout(): Promise<Map<string, number>> {
    if (this.closed) return Promise.resolve(new Map());
    this.#conn.command({ command: 'FLUSH_MEDIA' });
    this.#conn.command({ command: 'GET_STATUS' });
    this.#conn.clearPendingAudio();
    this.stats.flushes += 1;
    this.#xoff = false;
    const frames = this.#pending;
    this.#pending = [];
    this.#pendingMs = 0;
    return new Promise((resolve) => {
      const flush: PendingFlush = {
        frames,
        seq: this.#seq,
        settled: false,
        resolve,
        timer: setTimeout(() => {
          this.stats.flushConfirmTimeouts += 1;
          this.#log.warn(
            { timeoutMs: FLUSH_CONFIRM_TIMEOUT_MS },
            'chan_websocket sent no STATUS after FLUSH_MEDIA in time; audio not acknowledged by then counts as unplayed',
          );
          this.#settleFlush(flush);
        }, FLUSH_CONFIRM_TIMEOUT_MS),
      };
      this.#flushes.push(flush);
    });
  }

  hangup(): void {
    if (this.closed) return;
    this.#hangupSent = true;
    this.#conn.command({ command: 'HANGUP' });
    void this.#conn.close(1000).catch(() => undefined);
  }

  /** Closes the media socket; idempotent, resolves once it has closed (bounded by the connection). */
  close(): Promise<void> {
    return this.#conn.close(1000);
  }

  #startFormat(): AudioFormat | undefined {
    const start = this.#conn.mediaStart;
    return start ? chanWebSocketAudioFormat(start.format) : undefined;
  }

  /** Reports a flush's frames still unacknowledged as thrown away; its waiters learn their audio was not played. */
  #settleFlush(flush: PendingFlush): void {
    if (flush.settled) return;
    flush.settled = true;
    clearTimeout(flush.timer);
    const lost = new Map<string, number>();
    for (const p of flush.frames) {
      if (p.utteranceId !== undefined) lost.set(p.utteranceId, (lost.get(p.utteranceId) ?? 0) + p.ms);
    }
    flush.frames = [];
    const due = this.#waiters.filter((w) => w.seq <= flush.seq);
    this.#waiters = this.#waiters.filter((w) => w.seq > flush.seq);
    for (const w of due) w.fn(false);
    flush.resolve(lost);
  }

  #settleAll(played: boolean): void {
    for (const flush of this.#flushes.splice(0)) this.#settleFlush(flush);
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#pending = [];
    this.#pendingMs = 0;
    for (const w of waiters) w.fn(played);
  }

  #onControl(event: ChanWebSocketControlEvent): void {
    switch (event.event) {
      case 'MEDIA_MARK_PROCESSED':
        this.#markProcessed(event.correlation_id);
        return;
      case 'MEDIA_XOFF':
        if (!this.#xoff) this.stats.xoffs += 1;
        this.#xoff = true;
        this.#log.debug({ unplayedMs: this.#pendingMs }, 'chan_websocket XOFF: sending paused');
        return;
      case 'MEDIA_XON':
        this.#xoff = false;
        this.#log.debug('chan_websocket XON: sending resumed');
        return;
      case 'DTMF_END':
        this.emit('dtmf', event.digit);
        return;
      case 'ERROR':
        this.#log.warn({ error: event.error_text }, 'chan_websocket reported an error');
        return;
      case 'STATUS': {
        // The reply to the GET_STATUS sent behind the oldest flush: every mark played before it has been reported.
        const flush = this.#flushes.shift();
        if (flush) this.#settleFlush(flush);
        else this.#log.debug({ event }, 'chan_websocket event');
        return;
      }
      case 'QUEUE_DRAINED':
      case 'MEDIA_BUFFERING_COMPLETED':
        this.#log.debug({ event }, 'chan_websocket event');
        return;
      default:
        assertNever(event);
    }
  }

  #markProcessed(correlationId: string): void {
    const m = /^m(\d+)$/.exec(correlationId);
    if (!m) return;
    const seq = Number(m[1]);
    this.stats.marksAcked += 1;
    while (this.#pending.length > 0 && this.#pending[0]!.seq <= seq) {
      this.#pendingMs -= this.#pending.shift()!.ms;
    }
    // Played before a flush reached Asterisk: heard, not thrown away.
    for (const flush of this.#flushes) {
      while (flush.frames.length > 0 && flush.frames[0]!.seq <= seq) flush.frames.shift();
    }
    if (this.#waiters.length === 0 || this.#waiters[0]!.seq > seq) return;
    const due = this.#waiters.filter((w) => w.seq <= seq);
    this.#waiters = this.#waiters.filter((w) => w.seq > seq);
    for (const w of due) w.fn(true);
  }
}
