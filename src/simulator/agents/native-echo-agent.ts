import type { WebSocket } from 'ws';
import type { AgentWireCommand } from '../../protocols/agent/commands.js';
import type { AgentSampleRate } from '../../protocols/agent/common.js';
import type { AdapterEvent, AdapterEventName } from '../../protocols/agent/events.js';
import { parseAdapterEvent } from '../../protocols/agent/parse.js';
import { type AgentHandshake, type RejectedHandshake, startAgentServer } from './agent-server.js';
import { ConditionWaiters } from './condition-waiters.js';
import { pcm16Frames, tonePcm16 } from './tone.js';
import { closeWebSocket } from '../close-web-socket.js';

/**
 * How the example agent behaves once the call is answered:
 * - `echo`: every binary frame from the caller goes straight back (unbracketed, so the adapter assigns a playId);
 * - `parrot`: collects the caller's audio from `speaking` and, on `silence`, replays it as one bracketed utterance.
 *   `speaking` arrives after the speech began (the VAD needs some of it), so the last `parrotPreRollMs` (300 ms)
 *   before it are kept too: the start of what was said is not clipped;
 * - `burst`: on `answer`, sends `audio` (default 1 s tone) as one utterance, every frame at once, unpaced;
 * - `speaker`: on `answer` and after each `silence`, speaks `audio` (default 3 s tone) paced at 20 ms per frame,
 *   like a streaming TTS, and stops the rest of an utterance when the adapter reports its `interruption`.
 */
export type NativeEchoAgentMode = 'echo' | 'parrot' | 'burst' | 'speaker';

export interface NativeEchoAgentOptions {
  readonly mode: NativeEchoAgentMode;
  readonly port?: number;
  readonly host?: string;
  /** When set, upgrades without a valid `X-Ava-Signature` are refused with HTTP 401. */
  readonly secret?: string | readonly string[];
  readonly toleranceSec?: number;
  /** PCM16 at the call's rate, for `burst` and `speaker`. */
  readonly audio?: Buffer;
  /** Answer `incoming` with `reject` instead of `accept`. */
  readonly reject?: { readonly reason: string; readonly code?: number };
  /** Ask for this rate in `accept` instead of taking the offered one. */
  readonly sampleRate?: AgentSampleRate;
  /** Ask for caller audio in frames of this many ms in `accept` (sent as given, valid or not). */
  readonly frameMs?: unknown;
  /** `parrot`: audio kept from before `speaking` (the speech began before the event arrived). Default 300. */
  readonly parrotPreRollMs?: number;
  /** `burst`: send the utterance as protected (not interruptible by the caller). */
  readonly protectedBurst?: boolean;
  /** After each utterance it sends, also send `mark {name: playId}`. */
  readonly marks?: boolean;
  /** Caller audio kept per session for assertions; bytes beyond it are counted, not kept. Default 8 MiB. */
  readonly maxRecordedAudioBytes?: number;
  /** Called for every event received, after it was recorded (for printing). */
  readonly onEvent?: (session: NativeAgentSession, event: AdapterEvent) => void;
  /** Called for every binary (caller audio) frame received, before the mode acts on it (for timing probes). */
  readonly onAudio?: (session: NativeAgentSession, audio: Buffer) => void;
}

export interface NativeEchoAgent {
  readonly url: string;
  readonly port: number;
  readonly mode: NativeEchoAgentMode;
  /** Connections in arrival order. */
  readonly sessions: readonly NativeAgentSession[];
  readonly rejectedHandshakes: readonly RejectedHandshake[];
  /** Resolves once the `index`-th connection (0-based) exists. */
  waitForSession(index?: number, timeoutMs?: number): Promise<NativeAgentSession>;
  waitForRejectedHandshake(count?: number, timeoutMs?: number): Promise<RejectedHandshake>;
  close(): Promise<void>;
}

type EventOf<N extends AdapterEventName> = Extract<AdapterEvent, { event: N }>;

const DEFAULT_RATE: AgentSampleRate = 8000;
const PARROT_MAX_MS = 30_000;

/** One call's connection to the example agent, with everything it received recorded in order. */
export class NativeAgentSession {
  readonly handshake: AgentHandshake;
  /** Parsed events, in arrival order. */
  readonly events: AdapterEvent[] = [];
  /** Text frames that did not parse, with the reason. */
  readonly invalidFrames: Array<{ text: string; error: string }> = [];
  /** Utterances this agent sent, by playId, in order. */
  readonly sentUtterances: string[] = [];
  /** Total caller audio bytes received. */
  audioBytes = 0;
  /** Binary frames received. */
  audioFrames = 0;
  /** The rate in use once `incoming` arrived. */
  sampleRate: AgentSampleRate = DEFAULT_RATE;
  closeInfo: { code: number; reason: string } | undefined;

  readonly #ws: WebSocket;
  readonly #options: NativeEchoAgentOptions;
  readonly #waiters = new ConditionWaiters();
  readonly #recorded: Buffer[] = [];
  #recordedBytes = 0;
  readonly #timers = new Set<NodeJS.Timeout>();
  #parrot: Buffer[] = [];
  #parrotBytes = 0;
  /** Between `speaking` and `silence`: the parrot buffer grows; otherwise it keeps only the pre-roll. */
  #parrotInSpeech = false;
  #speaking: string | undefined;
  readonly #interrupted = new Set<string>();
  #nextId = 1;

  constructor(ws: WebSocket, handshake: AgentHandshake, options: NativeEchoAgentOptions) {
    this.#ws = ws;
    this.handshake = handshake;
    this.#options = options;
    // A call this agent places (`invite`) has no `incoming`: its rate is the one the invite asked for.
    this.sampleRate = options.sampleRate ?? DEFAULT_RATE;
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) this.#onAudio(buf);
      else this.#onText(buf.toString('utf8'));
      this.#waiters.notify();
    });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      for (const t of this.#timers) clearTimeout(t);
      this.#timers.clear();
      this.#waiters.close(`agent connection closed (${code})`);
    });
  }

  /** The call id from the `incoming` event (`ringing` for a call this agent placed), or from `X-Ava-Call-Id` before it. */
  get callId(): string | undefined {
    return this.events.find((e) => e.event === 'incoming' || e.event === 'ringing')?.callId ?? this.handshake.callId;
  }

  /** Event names in arrival order. */
  get eventNames(): AdapterEventName[] {
    return this.events.map((e) => e.event);
  }

  /** The caller audio kept for assertions, concatenated. */
  receivedAudio(): Buffer {
    return Buffer.concat(this.#recorded);
  }

  waitForEvent<N extends AdapterEventName>(
    name: N,
    predicate: (event: EventOf<N>) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<EventOf<N>> {
    return this.#waiters.until(
      () => this.events.find((e): e is EventOf<N> => e.event === name && predicate(e as EventOf<N>)),
      `event ${name}`,
      timeoutMs,
    );
  }

  waitForAudioBytes(bytes: number, timeoutMs?: number): Promise<number> {
    return this.#waiters.until(
      () => (this.audioBytes >= bytes ? this.audioBytes : undefined),
      `${bytes} audio bytes`,
      timeoutMs,
    );
  }

  waitForInvalidFrame(timeoutMs?: number): Promise<{ text: string; error: string }> {
    return this.#waiters.until(() => this.invalidFrames[0], 'an invalid frame', timeoutMs);
  }

  /** Resolves when the adapter (or this side) closed the connection. */
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

  sendCommand(command: AgentWireCommand): void {
    this.sendText(JSON.stringify(command));
  }

  /** Any text frame, including malformed ones (for tests of the adapter's error answers). */
  sendText(text: string): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(text);
  }

  sendAudio(pcm: Uint8Array): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(pcm, { binary: true });
  }

  /**
   * Sends `pcm` as one utterance bracketed by `audio.start`/`audio.end` in 20 ms frames: all at once, or paced at
   * real time (stopping early when the adapter reports an `interruption` of it). Returns the playId.
   */
  speak(pcm: Buffer, options: { playId?: string; paced?: boolean; protected?: boolean } = {}): string {
    const playId = options.playId ?? `${this.#options.mode}-${this.#nextId++}`;
    this.sentUtterances.push(playId);
    this.sendCommand({
      command: 'audio.start',
      playId,
      ...(options.protected === undefined ? {} : { protected: options.protected }),
    });
    const frames = pcm16Frames(pcm, this.sampleRate);
    if (!options.paced) {
      for (const frame of frames) this.sendAudio(frame);
      this.#endUtterance(playId);
      return playId;
    }
    this.#speaking = playId;
    const start = performance.now();
    let sent = 0;
    const tick = (): void => {
      if (this.closeInfo) return;
      if (this.#interrupted.has(playId)) {
        this.#endUtterance(playId);
        return;
      }
      const due = Math.min(frames.length, Math.floor((performance.now() - start) / 20) + 1);
      while (sent < due) this.sendAudio(frames[sent++]!);
      if (sent >= frames.length) {
        this.#endUtterance(playId);
        return;
      }
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          tick();
        },
        Math.max(0, start + sent * 20 - performance.now()),
      );
      this.#timers.add(timer);
    };
    tick();
    return playId;
  }

  /** Closes the socket with `code`/`reason`. Idempotent; resolves once it has closed (bounded, then terminated). */
  close(code = 1000, reason = ''): Promise<void> {
    return closeWebSocket(this.#ws, code, reason);
  }

  #endUtterance(playId: string): void {
    if (this.#speaking === playId) this.#speaking = undefined;
    this.sendCommand({ command: 'audio.end', playId });
    if (this.#options.marks) this.sendCommand({ command: 'mark', name: playId });
  }

  #onAudio(buf: Buffer): void {
    this.audioBytes += buf.length;
    this.audioFrames += 1;
    const limit = this.#options.maxRecordedAudioBytes ?? 8 * 1024 * 1024;
    if (this.#recordedBytes + buf.length <= limit) {
      this.#recorded.push(buf);
      this.#recordedBytes += buf.length;
    }
    this.#options.onAudio?.(this, buf);
    switch (this.#options.mode) {
      case 'echo':
        this.sendAudio(buf);
        break;
      case 'parrot':
        this.#collectParrot(buf);
        break;
      case 'burst':
      case 'speaker':
        break;
    }
  }

  /** Parrot buffer: bounded at PARROT_MAX_MS in speech (later audio dropped); outside speech, a pre-roll ring. */
  #collectParrot(buf: Buffer): void {
    const bytesPerMs = (this.sampleRate * 2) / 1000;
    if (this.#parrotInSpeech) {
      if (this.#parrotBytes + buf.length > bytesPerMs * PARROT_MAX_MS) return;
      this.#parrot.push(buf);
      this.#parrotBytes += buf.length;
      return;
    }
    this.#parrot.push(buf);
    this.#parrotBytes += buf.length;
    const keep = bytesPerMs * (this.#options.parrotPreRollMs ?? 300);
    while (this.#parrotBytes > keep && this.#parrot.length > 0) {
      const first = this.#parrot[0]!;
      const excess = this.#parrotBytes - keep;
      if (first.length <= excess) {
        this.#parrot.shift();
        this.#parrotBytes -= first.length;
      } else {
        const cut = excess - (excess % 2);
        this.#parrot[0] = first.subarray(cut);
        this.#parrotBytes -= cut;
        break;
      }
    }
  }

  #onText(text: string): void {
    const parsed = parseAdapterEvent(text);
    if (!parsed.ok) {
      this.invalidFrames.push({ text, error: `${parsed.error.code}: ${parsed.error.message}` });
      return;
    }
    const event = parsed.event;
    this.events.push(event);
    this.#options.onEvent?.(this, event);
    switch (event.event) {
      case 'incoming':
        this.sampleRate = this.#options.sampleRate ?? event.audio.sampleRate;
        if (this.#options.reject) {
          this.sendCommand({ command: 'reject', ...this.#options.reject });
        } else {
          const { sampleRate, frameMs } = this.#options;
          const audio = {
            ...(sampleRate === undefined ? {} : { sampleRate }),
            ...(frameMs === undefined ? {} : { frameMs }),
          };
          this.sendCommand({ command: 'accept', ...(Object.keys(audio).length > 0 ? { audio } : {}) });
        }
        break;
      case 'answer':
        if (this.#options.mode === 'burst') {
          this.speak(this.#options.audio ?? tonePcm16(this.sampleRate, 1000), {
            ...(this.#options.protectedBurst ? { protected: true } : {}),
          });
        }
        if (this.#options.mode === 'speaker') this.#speakAgain();
        break;
      case 'speaking':
        // The buffer holds the pre-roll: the speech that began before this event arrived.
        this.#parrotInSpeech = true;
        break;
      case 'silence':
        if (this.#options.mode === 'parrot' && this.#parrotInSpeech && this.#parrotBytes > 0) {
          const said = Buffer.concat(this.#parrot);
          this.#parrot = [];
          this.#parrotBytes = 0;
          this.speak(said);
        }
        this.#parrotInSpeech = false;
        if (this.#options.mode === 'speaker') this.#speakAgain();
        break;
      case 'interruption':
        this.#interrupted.add(event.playId);
        break;
      case 'ringing':
      case 'dtmf':
      case 'trackStart':
      case 'trackEnd':
      case 'mark':
      case 'hangup':
      case 'error':
      case 'transfer':
      case 'reject':
        break;
      default:
        event satisfies never;
    }
  }

  #speakAgain(): void {
    if (this.#speaking !== undefined) return;
    this.speak(this.#options.audio ?? tonePcm16(this.sampleRate, 3000), { paced: true });
  }
}

/**
 * Starts an example agent speaking the native protocol v1 on `ws://host:port/` (any path). It verifies the request
 * signature when given a secret, answers `incoming` with `accept`, then behaves as `mode` says. It records every
 * event and byte it receives for assertions. Used by `ava demo`, the benchmarks, the tests and
 * `examples/native-echo-agent.ts`.
 */
export async function startNativeEchoAgent(options: NativeEchoAgentOptions): Promise<NativeEchoAgent> {
  const sessions: NativeAgentSession[] = [];
  const waiters = new ConditionWaiters();
  const started = await startAgentServer({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.secret === undefined ? {} : { secret: options.secret }),
    ...(options.toleranceSec === undefined ? {} : { toleranceSec: options.toleranceSec }),
    onConnection: (ws, handshake) => {
      sessions.push(new NativeAgentSession(ws, handshake, options));
      waiters.notify();
    },
    onRejected: () => waiters.notify(),
  });
  return {
    url: started.url,
    port: started.port,
    mode: options.mode,
    sessions,
    get rejectedHandshakes() {
      return started.rejectedHandshakes;
    },
    waitForSession: (index = 0, timeoutMs?: number) =>
      waiters.until(() => sessions[index], `agent session #${index}`, timeoutMs),
    waitForRejectedHandshake: (count = 1, timeoutMs?: number) =>
      waiters.until(() => started.rejectedHandshakes[count - 1], `${count} rejected handshake(s)`, timeoutMs),
    close: async () => {
      waiters.close('agent closed');
      await started.close();
    },
  };
}
