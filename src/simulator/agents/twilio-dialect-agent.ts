import type { WebSocket } from 'ws';
import { pcmSamples } from '../../audio/format.js';
import { pcmToTwilioPayload } from '../../protocols/twilio/codec.js';
import type { TwilioAgentMessage, TwilioStreamMessage } from '../../protocols/twilio/messages.js';
import { parseTwilioStreamMessage } from '../../protocols/twilio/parse.js';
import { type AgentHandshake, type RejectedHandshake, startAgentServer } from './agent-server.js';
import { ConditionWaiters } from './condition-waiters.js';
import { pcm16Frames, tonePcm16 } from './tone.js';
import { closeWebSocket } from '../close-web-socket.js';

/**
 * - `echo`: every inbound `media` payload goes back as an outbound `media` message followed by a `mark`;
 * - `play`: on `start`, plays `audio` (default 1 s tone) as 20 ms `media` messages, each followed by a `mark`.
 */
export type TwilioDialectAgentMode = 'echo' | 'play';

export interface TwilioDialectAgentOptions {
  readonly mode: TwilioDialectAgentMode;
  readonly port?: number;
  readonly host?: string;
  /** When set, upgrades must carry the adapter's `X-Ava-Signature`; others get HTTP 401. */
  readonly secret?: string | readonly string[];
  readonly toleranceSec?: number;
  /** PCM16 at 8 kHz for `play` mode. */
  readonly audio?: Buffer;
  /** Inbound `media` messages kept per session; later ones are counted in `inboundBytes`, not kept. Default 50 000. */
  readonly maxRecordedMedia?: number;
  /** Called for every message received, after it was recorded (for printing). */
  readonly onMessage?: (session: TwilioAgentSession, message: TwilioStreamMessage) => void;
}

export interface TwilioDialectAgent {
  readonly url: string;
  readonly port: number;
  readonly sessions: readonly TwilioAgentSession[];
  readonly rejectedHandshakes: readonly RejectedHandshake[];
  waitForSession(index?: number, timeoutMs?: number): Promise<TwilioAgentSession>;
  close(): Promise<void>;
}

type MessageOf<E extends TwilioStreamMessage['event']> = Extract<TwilioStreamMessage, { event: E }>;

/** What the speech-started handler did, as the public samples compute it. */
export interface SpeechStartedResult {
  /** Whether a `clear` was sent (only while marks are outstanding, as in the samples). */
  readonly cleared: boolean;
  /** `latestMediaTimestamp - responseStartTimestamp`: what the samples pass as `audio_end_ms` when truncating. */
  readonly elapsedMs?: number;
  /** Marks that were outstanding and were dropped from the queue. */
  readonly droppedMarks: readonly string[];
}

/**
 * One media stream, handled the way the public Twilio + OpenAI Realtime samples handle it: the `streamSid` comes
 * from `start`; `latestMediaTimestamp` follows inbound media; each outbound chunk is followed by a mark pushed onto
 * `markQueue`; each mark echoed back shifts the queue; on speech started, while marks are outstanding, it sends
 * `clear` and empties the queue. Everything received is recorded in order (inbound media up to a bound).
 */
export class TwilioAgentSession {
  readonly handshake: AgentHandshake;
  readonly received: TwilioStreamMessage[] = [];
  readonly invalidFrames: Array<{ text: string; error: string }> = [];
  /** Mark names echoed back by the media side, in order. */
  readonly ackedMarks: string[] = [];
  streamSid: string | undefined;
  latestMediaTimestamp = 0;
  responseStartTimestamp: number | undefined;
  markQueue: string[] = [];
  sentMedia = 0;
  clearsSent = 0;
  /** μ-law bytes received from the caller. */
  inboundBytes = 0;
  closeInfo: { code: number; reason: string } | undefined;

  readonly #ws: WebSocket;
  readonly #options: TwilioDialectAgentOptions;
  readonly #waiters = new ConditionWaiters();
  #chunkCounter = 0;
  #recordedMedia = 0;

  constructor(ws: WebSocket, handshake: AgentHandshake, options: TwilioDialectAgentOptions) {
    this.#ws = ws;
    this.handshake = handshake;
    this.#options = options;
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const text = buf.toString('utf8');
      if (isBinary) this.invalidFrames.push({ text: `<${buf.length} binary bytes>`, error: 'binary frame' });
      else this.#onText(text);
      this.#waiters.notify();
    });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      this.#waiters.close(`agent connection closed (${code})`);
    });
  }

  /** Event names received, in order. */
  get eventNames(): Array<TwilioStreamMessage['event']> {
    return this.received.map((m) => m.event);
  }

  waitForMessage<E extends TwilioStreamMessage['event']>(
    event: E,
    predicate: (message: MessageOf<E>) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<MessageOf<E>> {
    return this.#waiters.until(
      () => this.received.find((m): m is MessageOf<E> => m.event === event && predicate(m as MessageOf<E>)),
      `message ${event}`,
      timeoutMs,
    );
  }

  waitForMarkAcks(count: number, timeoutMs?: number): Promise<readonly string[]> {
    return this.#waiters.until(
      () => (this.ackedMarks.length >= count ? this.ackedMarks : undefined),
      `${count} mark acknowledgement(s)`,
      timeoutMs,
    );
  }

  waitForInboundBytes(bytes: number, timeoutMs?: number): Promise<number> {
    return this.#waiters.until(
      () => (this.inboundBytes >= bytes ? this.inboundBytes : undefined),
      `${bytes} inbound bytes`,
      timeoutMs,
    );
  }

  waitForClose(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for the connection to close')), timeoutMs);
      this.#ws.once('close', () => {
        clearTimeout(timer);
        resolve(this.closeInfo ?? { code: 1006, reason: '' });
      });
    });
  }

  /** Sends a base64 μ-law payload followed by a mark, as the samples do for each audio delta. */
  sendMedia(payload: string): void {
    if (this.streamSid === undefined) return;
    this.#send({ event: 'media', streamSid: this.streamSid, media: { payload } });
    this.sentMedia += 1;
    this.responseStartTimestamp ??= this.latestMediaTimestamp;
    this.#chunkCounter += 1;
    const name = `chunk-${this.#chunkCounter}`;
    this.#send({ event: 'mark', streamSid: this.streamSid, mark: { name } });
    this.markQueue.push(name);
  }

  /** Plays PCM16 8 kHz as 20 ms chunks, each followed by a mark. */
  play(pcm8k: Buffer): void {
    for (const frame of pcm16Frames(pcm8k, 8000)) this.sendMedia(pcmToTwilioPayload(pcmSamples(frame)));
  }

  /** The injected "speech started" trigger (the samples react to Realtime's `input_audio_buffer.speech_started`). */
  speechStarted(): SpeechStartedResult {
    if (this.markQueue.length === 0 || this.responseStartTimestamp === undefined || this.streamSid === undefined) {
      return { cleared: false, droppedMarks: [] };
    }
    const elapsedMs = this.latestMediaTimestamp - this.responseStartTimestamp;
    this.#send({ event: 'clear', streamSid: this.streamSid });
    this.clearsSent += 1;
    const droppedMarks = this.markQueue;
    this.markQueue = [];
    this.responseStartTimestamp = undefined;
    return { cleared: true, elapsedMs, droppedMarks };
  }

  /** Any text frame, including malformed ones. */
  sendText(text: string): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(text);
  }

  /** Closes the socket with `code`/`reason`. Idempotent; resolves once it has closed (bounded, then terminated). */
  close(code = 1000, reason = ''): Promise<void> {
    return closeWebSocket(this.#ws, code, reason);
  }

  #send(message: TwilioAgentMessage): void {
    this.sendText(JSON.stringify(message));
  }

  #onText(text: string): void {
    const parsed = parseTwilioStreamMessage(text);
    if (!parsed.ok) {
      this.invalidFrames.push({ text, error: `${parsed.error.code}: ${parsed.error.message}` });
      return;
    }
    const message = parsed.message;
    if (message.event !== 'media' || this.#recordedMedia < (this.#options.maxRecordedMedia ?? 50_000)) {
      this.received.push(message);
      if (message.event === 'media') this.#recordedMedia += 1;
    }
    this.#options.onMessage?.(this, message);
    switch (message.event) {
      case 'connected':
        break;
      case 'start':
        this.streamSid = message.start.streamSid;
        this.responseStartTimestamp = undefined;
        this.latestMediaTimestamp = 0;
        if (this.#options.mode === 'play') this.play(this.#options.audio ?? tonePcm16(8000, 1000));
        break;
      case 'media':
        this.latestMediaTimestamp = Number(message.media.timestamp);
        this.inboundBytes += Buffer.byteLength(message.media.payload, 'base64');
        if (this.#options.mode === 'echo') this.sendMedia(message.media.payload);
        break;
      case 'mark':
        this.ackedMarks.push(message.mark.name);
        if (this.markQueue.length > 0) this.markQueue.shift();
        break;
      case 'dtmf':
        break;
      case 'stop':
        break;
      default:
        message satisfies never;
    }
  }
}

/**
 * Starts an example agent speaking the Twilio Media Streams dialect on `ws://host:port/` (any path). Used by the
 * tests, the demo and `examples/twilio-agent.ts`.
 */
export async function startTwilioDialectAgent(options: TwilioDialectAgentOptions): Promise<TwilioDialectAgent> {
  const sessions: TwilioAgentSession[] = [];
  const waiters = new ConditionWaiters();
  const server = await startAgentServer({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.secret === undefined ? {} : { secret: options.secret }),
    ...(options.toleranceSec === undefined ? {} : { toleranceSec: options.toleranceSec }),
    onConnection: (ws, handshake) => {
      sessions.push(new TwilioAgentSession(ws, handshake, options));
      waiters.notify();
    },
  });
  return {
    url: server.url,
    port: server.port,
    sessions,
    get rejectedHandshakes() {
      return server.rejectedHandshakes;
    },
    waitForSession: (index = 0, timeoutMs?: number) =>
      waiters.until(() => sessions[index], `agent session #${index}`, timeoutMs),
    close: async () => {
      waiters.close('agent closed');
      await server.close();
    },
  };
}
