import type { WebSocket } from 'ws';
import { decodePipecatFrame, encodePipecatFrame, type PipecatFrame } from '../../protocols/pipecat/index.js';
import { closeWebSocket } from '../close-web-socket.js';
import { type AgentHandshake, startAgentServer } from './agent-server.js';
import { ConditionWaiters } from './condition-waiters.js';
import { type DialInTarget, openDialInSocket } from './dial-in-client.js';

/** Audio the bot speaks: PCM16 at `sampleRate` with `numChannels` interleaved, sent in chunks of `chunkMs`. */
export interface PipecatBotSpeech {
  readonly pcm: Buffer;
  readonly sampleRate: number;
  readonly numChannels?: number;
  /** Chunk length; any length, not only 20 ms (TTS services send what they have). Default 40. */
  readonly chunkMs?: number;
  /**
   * Pace in chunks per chunk duration: 2 sends at twice real time, as Pipecat's WebSocket server transport does
   * (default); 0 sends everything at once.
   */
  readonly pace?: number;
  /** Text sent as an RTVI `bot-output` just before the audio (a transcript of what is said). */
  readonly text?: string;
}

export interface PipecatBotOptions {
  readonly host?: string;
  readonly port?: number;
  /** When set, upgrades must carry the adapter's `X-Ava-Signature`. */
  readonly secret?: string;
  /** Spoken once the adapter's RTVI `client-ready` arrives. */
  readonly greeting?: PipecatBotSpeech;
  /** Also echo each caller audio frame straight back. */
  readonly echo?: boolean;
  /**
   * How long an `interruption` frame takes to reach the bot's output (its pipeline's latency); the bot goes on
   * sending audio meanwhile. Default 0.
   */
  readonly interruptionDelayMs?: number;
}

/**
 * A stand-in for a Pipecat bot with a WebSocket server transport and the protobuf serializer: every binary message
 * is one `Frame`. It records what it hears, speaks its greeting after `client-ready`, and on an `interruption` frame
 * stops speaking and writes the interruption back, as a Pipecat pipeline's output transport does.
 */
export class PipecatBotSession {
  readonly handshake: AgentHandshake;
  /** Every frame received, in order (audio payloads included). */
  readonly frames: PipecatFrame[] = [];
  /** Parsed `message` frames. */
  readonly messages: Array<Record<string, unknown>> = [];
  /** Binary messages that did not decode. */
  readonly badFrames: string[] = [];
  closeInfo: { code: number; reason: string } | undefined;
  readonly #ws: WebSocket;
  readonly #options: PipecatBotOptions;
  readonly #waiters = new ConditionWaiters();
  #speaking: NodeJS.Timeout | undefined;
  #sentChunks = 0;

  constructor(ws: WebSocket, handshake: AgentHandshake, options: PipecatBotOptions) {
    this.#ws = ws;
    this.handshake = handshake;
    this.#options = options;
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (!isBinary) this.badFrames.push(`text: ${buf.toString('utf8').slice(0, 80)}`);
      else this.#onFrame(buf);
      this.#waiters.notify();
    });
    ws.on('close', (code, reason) => {
      this.#stop();
      this.closeInfo = { code, reason: reason.toString('utf8') };
      this.#waiters.close(`bot connection closed (${code})`);
    });
  }

  /** Caller audio frames received. */
  get audioFrames(): Array<Extract<PipecatFrame, { kind: 'audio' }>> {
    return this.frames.filter((f): f is Extract<PipecatFrame, { kind: 'audio' }> => f.kind === 'audio');
  }

  /** Audio chunks of speech sent so far. */
  get sentChunks(): number {
    return this.#sentChunks;
  }

  waitFor<T>(probe: () => T | undefined, what: string, timeoutMs?: number): Promise<T> {
    return this.#waiters.until(probe, what, timeoutMs);
  }

  /** The first RTVI message of `type` (and, for a `client-message`, of `t`). */
  waitForMessage(type: string, t?: string, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.waitFor(
      () =>
        this.messages.find(
          (m) => m['type'] === type && (t === undefined || (m['data'] as { t?: unknown } | undefined)?.t === t),
        ),
      `RTVI ${type}${t ? ` ${t}` : ''}`,
      timeoutMs,
    );
  }

  send(frame: PipecatFrame): void {
    this.sendRaw(encodePipecatFrame(frame));
  }

  /** Any binary message, including garbage. */
  sendRaw(data: Uint8Array): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(data, { binary: true });
  }

  /** A text message (the protobuf serializer never sends one; the adapter answers it with an error notice). */
  sendText(text: string): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(text);
  }

  sendRtvi(type: string, data: unknown): void {
    this.send({ kind: 'message', data: JSON.stringify({ label: 'rtvi-ai', type, id: `bot-${type}`, data }) });
  }

  /** Speaks `speech` (stopping anything said before). */
  speak(speech: PipecatBotSpeech): void {
    this.#stop();
    const channels = speech.numChannels ?? 1;
    const chunkBytes = Math.max(
      2 * channels,
      Math.round((speech.sampleRate * (speech.chunkMs ?? 40)) / 1000) * 2 * channels,
    );
    const chunks: Buffer[] = [];
    for (let at = 0; at < speech.pcm.length; at += chunkBytes) chunks.push(speech.pcm.subarray(at, at + chunkBytes));
    if (speech.text !== undefined) this.sendRtvi('bot-output', { text: speech.text, spoken_status: 'new' });
    // Like Pipecat's output transport, it reports when it starts and stops speaking (RTVI).
    this.sendRtvi('bot-started-speaking', undefined);
    const sendChunk = (audio: Buffer) => {
      this.send({ kind: 'audio', audio, sampleRate: speech.sampleRate, numChannels: channels });
      this.#sentChunks += 1;
      if (audio === chunks.at(-1)) this.sendRtvi('bot-stopped-speaking', undefined);
    };
    const pace = speech.pace ?? 2;
    if (pace === 0) {
      for (const c of chunks) sendChunk(c);
      return;
    }
    const intervalMs = (speech.chunkMs ?? 40) / pace;
    const started = performance.now();
    let next = 0;
    const tick = () => {
      const due = Math.floor((performance.now() - started) / intervalMs) + 1;
      while (next < chunks.length && next < due) sendChunk(chunks[next++]!);
      this.#speaking = next < chunks.length ? setTimeout(tick, intervalMs / 2) : undefined;
    };
    tick();
  }

  close(code = 1000, reason = ''): Promise<void> {
    this.#stop();
    return closeWebSocket(this.#ws, code, reason);
  }

  #stop(): void {
    if (this.#speaking !== undefined) clearTimeout(this.#speaking);
    this.#speaking = undefined;
  }

  #onFrame(buf: Buffer): void {
    const r = decodePipecatFrame(buf);
    if (!r.ok) {
      this.badFrames.push(r.error.message);
      return;
    }
    const frame = r.frame;
    this.frames.push(frame);
    switch (frame.kind) {
      case 'message': {
        let m: unknown;
        try {
          m = JSON.parse(frame.data);
        } catch {
          this.badFrames.push(`message data: ${frame.data.slice(0, 80)}`);
          return;
        }
        const msg = m as Record<string, unknown>;
        this.messages.push(msg);
        if (msg['type'] === 'client-ready') {
          this.sendRtvi('bot-ready', { version: '2.1.0' });
          if (this.#options.greeting) this.speak(this.#options.greeting);
        }
        return;
      }
      case 'interruption': {
        // The interruption runs down the bot's pipeline and out of its output transport, back to the client.
        const interrupt = () => {
          this.#stop();
          this.send({ kind: 'interruption' });
        };
        const delay = this.#options.interruptionDelayMs ?? 0;
        if (delay > 0) setTimeout(interrupt, delay);
        else interrupt();
        return;
      }
      case 'audio':
        if (this.#options.echo) this.send(frame);
        return;
      default:
        return;
    }
  }
}

export interface PipecatBot {
  readonly url: string;
  readonly sessions: readonly PipecatBotSession[];
  waitForSession(index?: number, timeoutMs?: number): Promise<PipecatBotSession>;
  close(): Promise<void>;
}

/** Starts the stand-in Pipecat bot on `ws://host:port/`. */
export async function startPipecatBot(options: PipecatBotOptions = {}): Promise<PipecatBot> {
  const sessions: PipecatBotSession[] = [];
  const waiters = new ConditionWaiters();
  const server = await startAgentServer({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.secret === undefined ? {} : { secret: options.secret }),
    onConnection: (ws, handshake) => {
      sessions.push(new PipecatBotSession(ws, handshake, options));
      waiters.notify();
    },
  });
  return {
    url: server.url,
    sessions,
    waitForSession: (index = 0, timeoutMs?: number) =>
      waiters.until(() => sessions[index], `bot session #${index}`, timeoutMs),
    close: async () => {
      waiters.close('bot closed');
      await server.close();
    },
  };
}

/**
 * The stand-in bot in client mode, as a Pipecat bot with a WebSocket client transport and the protobuf serializer:
 * it connects to the adapter (a start hook's `connectUrl`, or /v1/agents/ws with a bearer token and `?route=`).
 */
export async function connectPipecatBot(
  target: DialInTarget,
  options: PipecatBotOptions = {},
): Promise<PipecatBotSession> {
  const outcome = await openDialInSocket(target, (ws, handshake) => new PipecatBotSession(ws, handshake, options));
  if (!outcome.ok) throw new Error(`the adapter refused the bot: HTTP ${outcome.status} ${outcome.body.trim()}`);
  return outcome.value;
}
