import type { AudioFormat } from '../audio/format.js';

/** Why a media leg closed. */
export type MediaLegCloseReason =
  | 'remote_closed'
  | 'hangup_sent'
  | 'idle_timeout'
  | 'protocol_error'
  | 'closed'
  | 'error';

export interface MediaLegEvents {
  [key: string]: unknown[];
  /** One frame of caller audio (PCM16 LE) in `format`. */
  audio: [frame: Buffer, format: AudioFormat];
  dtmf: [digit: string];
  formatChange: [format: AudioFormat];
  close: [reason: MediaLegCloseReason];
}

/**
 * The Asterisk side of a call's audio, as the media bridge needs it: an AudioSocket connection today, a
 * chan_websocket connection later. Declared by its consumer; transports adapt to it.
 */
export interface MediaLeg {
  readonly id: string;
  /** Current inbound format (what Asterisk sends); outbound frames are sent in the same format. */
  readonly format: AudioFormat;
  readonly closed: boolean;
  on<K extends keyof MediaLegEvents & string>(event: K, listener: (...args: MediaLegEvents[K]) => void): unknown;
  off<K extends keyof MediaLegEvents & string>(event: K, listener: (...args: MediaLegEvents[K]) => void): unknown;
  /**
   * Sends one 20 ms frame in `format`; `info` says whose audio it is (legs that account playout use it).
   * Ownership: `frame` is read-only for the leg and the bridge never writes to it again (silence frames are one
   * shared buffer), so the leg may keep it or hand it to a socket as it is.
   */
  sendFrame(frame: Buffer, info?: OutboundFrameInfo): void;
  /** Present when the far end acknowledges playout (chan_websocket): the bridge paces and accounts through it. */
  readonly playoutAck?: PlayoutAck | undefined;
  /** Asks Asterisk to end the leg (AudioSocket: 0x00 frame), then closes. */
  hangup(): void;
  /** Ends the leg without asking Asterisk first. Idempotent; resolves once the leg has closed, never hangs. */
  close(): Promise<void>;
}

/** What an outbound frame carries. */
export interface OutboundFrameInfo {
  /** A frame of silence sent because the agent had nothing to say. */
  readonly silence: boolean;
  /** The agent utterance the frame (first) belongs to. */
  readonly utteranceId?: string | undefined;
}

/**
 * A media leg whose far end reports what it has played (chan_websocket MARK_MEDIA → MEDIA_MARK_PROCESSED) and can
 * discard what it has queued (FLUSH_MEDIA). "Played" then means played by Asterisk, not merely sent.
 */
export interface PlayoutAck {
  /** Frames to send on this media-clock tick: 0 while the far end asked us to stop (XOFF), more when it paces. */
  framesWanted(): number;
  /** Whether a silence frame is sent when there is no agent audio. */
  readonly sendsSilence: boolean;
  /** Agent audio sent but not yet acknowledged as played, in ms. */
  unplayedMs(): number;
  /** Calls `fn(true)` once everything sent so far has been played, or `fn(false)` if it is flushed first. */
  afterPlayed(fn: (played: boolean) => void): void;
  /**
   * Discards what the far end has queued. Resolves, once the far end has confirmed the flush, with the unplayed ms
   * per utterance that was thrown away (audio it reports played before the flush took effect counts as heard).
   */
  flushPlayout(): Promise<Map<string, number>>;
}

/** Speech detection on the caller's audio, as the bridge needs it. */
export interface SpeechEvents {
  [key: string]: unknown[];
  speechStart: [e: { atMs: number }];
  /** Speech ended at `atMs` (stream ms); the detector decided at `detectedAtMs`, after that much silence. */
  speechEnd: [e: { atMs: number; durationMs: number; detectedAtMs: number }];
  /** Each scored window's speech probability, `atMs` its end (stream ms); Silero detectors emit it, others may not. */
  probability: [e: { atMs: number; probability: number }];
}

export interface SpeechDetector {
  /** Caller audio, PCM16 at the rate the detector was created for. */
  push(samples: Int16Array): void;
  on<K extends keyof SpeechEvents & string>(event: K, listener: (...args: SpeechEvents[K]) => void): unknown;
  /** Idempotent; resolves once the detector has stopped. */
  close(): Promise<void>;
}

export type SpeechDetectorFactory = (sampleRate: 8000 | 16000, callId: string) => SpeechDetector;
