import { WebSocket } from 'ws';
import { pcmSamples } from '../../audio/format.js';
import { ulawDecode, alawDecode } from '../../audio/g711.js';
import type { Logger } from '../../observability/logger.js';
import type { AgentWireCommand } from '../../protocols/agent/commands.js';
import type { AdapterEvent, AdapterEventName } from '../../protocols/agent/events.js';
import { parseAdapterEvent } from '../../protocols/agent/parse.js';
import {
  iceCandidateFields,
  parseWebRtcSignalEvent,
  type WebRtcCodecName,
  type WebRtcSignalCommand,
} from '../../protocols/agent/webrtc-signalling.js';
import { OpusFrameCodec } from '../../transports/webrtc/opus-frame-codec.js';
import { RTP_CODEC_SPECS, RTP_PACKET_MS } from '../../transports/webrtc/rtp-codec-spec.js';
import { type RtpSendHeader, RtpSendSequencer } from '../../transports/webrtc/rtp-send-sequencer.js';
import { type ReceivedRtp, WebRtcPeer } from '../../transports/webrtc/webrtc-peer.js';
import { type AgentHandshake, type RejectedHandshake, startAgentServer } from './agent-server.js';
import { ConditionWaiters } from './condition-waiters.js';
import { closeWebSocket } from '../close-web-socket.js';

/** Faults the example agent puts into the RTP it sends, to exercise the adapter's jitter buffer. */
export interface RtpImpairment {
  /** Drop every n-th packet (n ≥ 2). */
  readonly dropEvery?: number;
  /** Send every n-th packet after the one that follows it (a swap of two neighbours). */
  readonly swapEvery?: number;
}

export interface WebRtcEchoAgentOptions {
  readonly host?: string;
  readonly port?: number;
  readonly secret?: string | readonly string[];
  /** Codecs this agent accepts, in its own order of preference (default: opus, PCMU, PCMA). */
  readonly codecs?: readonly WebRtcCodecName[];
  /** `echo` (default): every RTP payload received goes back; `silent`: sends nothing. */
  readonly mode?: 'echo' | 'silent';
  readonly impair?: RtpImpairment;
  /** Answer no STUN request, so ICE never connects (tests the adapter's fallback). */
  readonly ignoreStun?: boolean;
  /** Corrupt the DTLS fingerprint in the answer, so the handshake fails. */
  readonly tamperFingerprint?: boolean;
  /** Decode and keep the caller audio for `receivedAudio()` (default true; off for load generation). */
  readonly recordAudio?: boolean;
  /** Host addresses for this agent's ICE candidates (default 127.0.0.1). */
  readonly hostAddresses?: readonly string[];
  readonly logger: Logger;
}

export interface WebRtcEchoAgent {
  readonly url: string;
  readonly sessions: readonly WebRtcAgentSession[];
  readonly rejectedHandshakes: readonly RejectedHandshake[];
  waitForSession(index?: number, timeoutMs?: number): Promise<WebRtcAgentSession>;
  close(): Promise<void>;
}

type EventOf<N extends AdapterEventName> = Extract<AdapterEvent, { event: N }>;

/** Most decoded caller audio kept per session for assertions (samples). */
const MAX_RECORDED_SAMPLES = 48_000 * 60;

/** One call at the example WebRTC agent: the control channel, the peer, and what arrived, recorded in order. */
export class WebRtcAgentSession {
  readonly handshake: AgentHandshake;
  readonly events: AdapterEvent[] = [];
  /** Signalling events received (`offer`, `candidate`). */
  readonly signals: string[] = [];
  codec: WebRtcCodecName | undefined;
  rtpReceived = 0;
  rtpSent = 0;
  rtpDropped = 0;
  rtpSwapped = 0;
  closeInfo: { code: number; reason: string } | undefined;
  /** Caller audio decoded (8 kHz for G.711, 48 kHz for Opus). */
  readonly #recorded: Int16Array[] = [];
  #recordedSamples = 0;
  readonly #ws: WebSocket;
  readonly #o: WebRtcEchoAgentOptions;
  readonly #waiters = new ConditionWaiters();
  #peer: WebRtcPeer | undefined;
  #sequencer: RtpSendSequencer | undefined;
  #decoder: OpusFrameCodec | undefined;
  #held: { header: RtpSendHeader; payload: Buffer } | undefined;
  #echoed = 0;

  constructor(ws: WebSocket, handshake: AgentHandshake, options: WebRtcEchoAgentOptions) {
    this.#ws = ws;
    this.handshake = handshake;
    this.#o = options;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.#onText(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
      this.#waiters.notify();
    });
    // A socket error is followed by its close, which is what the session reports.
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      void this.#peer?.close();
      this.#waiters.close(`agent connection closed (${code})`);
    });
  }

  get callId(): string | undefined {
    return this.events.find((e) => e.event === 'incoming')?.callId ?? this.handshake.callId;
  }

  /** Sample rate of `receivedAudio()`. */
  get receivedRate(): number {
    return this.codec === 'opus' ? 48000 : 8000;
  }

  receivedAudio(): Int16Array {
    const out = new Int16Array(this.#recordedSamples);
    let at = 0;
    for (const chunk of this.#recorded) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
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

  waitForRtp(packets: number, timeoutMs?: number): Promise<number> {
    return this.#waiters.until(
      () => (this.rtpReceived >= packets ? this.rtpReceived : undefined),
      `${packets} RTP packets`,
      timeoutMs,
    );
  }

  sendCommand(command: AgentWireCommand | WebRtcSignalCommand): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(command));
  }

  /** Closes the peer connection but keeps the control channel (media lost mid-call). */
  closePeer(): Promise<void> {
    return this.#peer?.close() ?? Promise.resolve();
  }

  /** Closes the control channel (the adapter ends the call). */
  /** Closes the socket with `code`/`reason`. Idempotent; resolves once it has closed (bounded, then terminated). */
  close(code = 1000, reason = ''): Promise<void> {
    return closeWebSocket(this.#ws, code, reason);
  }

  #onText(text: string): void {
    const signal = parseWebRtcSignalEvent(text);
    if (signal.signal) {
      if (!signal.ok) return;
      const m = signal.message;
      this.signals.push(m.event);
      if (m.event === 'offer') void this.#answer(m.sdp);
      else void this.#peer?.addRemoteCandidate(iceCandidateFields(m)).catch(() => {});
      return;
    }
    const parsed = parseAdapterEvent(text);
    if (!parsed.ok) return;
    this.events.push(parsed.event);
    if (parsed.event.event === 'incoming') this.sendCommand({ command: 'accept' });
  }

  async #answer(offer: string): Promise<void> {
    const peer = new WebRtcPeer({
      iceServers: [],
      hostAddresses: this.#o.hostAddresses ?? ['127.0.0.1'],
      codecs: this.#o.codecs ?? ['opus', 'PCMU', 'PCMA'],
      logger: this.#o.logger,
      ...(this.#o.ignoreStun ? { ignoreStun: true } : {}),
    });
    this.#peer = peer;
    peer.on('rtp', (p) => {
      this.#onRtp(p);
      this.#waiters.notify();
    });
    try {
      const { sdp, codec } = await peer.answerOffer(offer);
      this.codec = codec.name;
      const spec = RTP_CODEC_SPECS[codec.name];
      this.#sequencer = new RtpSendSequencer({ timestampStep: (spec.clockRate * 20) / 1000, packetMs: RTP_PACKET_MS });
      if (codec.name === 'opus') this.#decoder = new OpusFrameCodec(spec, { encoding: 'pcm16', sampleRate: 48000 });
      const answer = this.#o.tamperFingerprint
        ? sdp.replace(/a=fingerprint:(\S+) [0-9A-F]{2}/, 'a=fingerprint:$1 00')
        : sdp;
      this.sendCommand({ command: 'answer', sdp: answer });
    } catch (err) {
      this.#o.logger.warn({ err }, 'example WebRTC agent could not answer');
    }
  }

  #onRtp(p: ReceivedRtp): void {
    this.rtpReceived += 1;
    if (this.#o.recordAudio !== false) this.#record(p.payload);
    if ((this.#o.mode ?? 'echo') === 'echo') this.#echo(p.payload);
  }

  #record(payload: Buffer): void {
    if (this.#recordedSamples >= MAX_RECORDED_SAMPLES) return;
    let samples: Int16Array;
    if (this.codec === 'opus') samples = pcmSamples(Buffer.from(this.#decoder!.decode(payload)));
    else if (this.codec === 'PCMA') samples = alawDecode(payload);
    else samples = ulawDecode(payload);
    this.#recorded.push(samples);
    this.#recordedSamples += samples.length;
  }

  #echo(payload: Buffer): void {
    const peer = this.#peer;
    const seq = this.#sequencer;
    if (!peer || !seq) return;
    this.#echoed += 1;
    const n = this.#echoed;
    const impair = this.#o.impair ?? {};
    const header = seq.next(performance.now());
    if (impair.dropEvery !== undefined && n % impair.dropEvery === 0) {
      // The sequence number is spent: the adapter sees a gap, as with a packet lost on the way.
      this.rtpDropped += 1;
      return;
    }
    if (impair.swapEvery !== undefined && n % impair.swapEvery === 0 && this.#held === undefined) {
      this.#held = { header, payload };
      return;
    }
    peer.sendRtp(header, payload);
    this.rtpSent += 1;
    const held = this.#held;
    if (held !== undefined) {
      this.#held = undefined;
      peer.sendRtp(held.header, held.payload);
      this.rtpSent += 1;
      this.rtpSwapped += 1;
    }
  }
}

/**
 * Starts an example agent that speaks the native protocol with WebRTC media (docs/agent-protocol.md §8): it accepts
 * every call, answers the adapter's SDP offer with a werift peer, and echoes every RTP payload it receives (with
 * its own continuous sequence numbers and timestamps), optionally dropping or reordering packets. It records the
 * events and the decoded caller audio for assertions. Used by the tests and the WebRTC benchmark.
 */
export async function startWebRtcEchoAgent(options: WebRtcEchoAgentOptions): Promise<WebRtcEchoAgent> {
  const sessions: WebRtcAgentSession[] = [];
  const waiters = new ConditionWaiters();
  const server = await startAgentServer({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.secret === undefined ? {} : { secret: options.secret }),
    onConnection: (ws, handshake) => {
      sessions.push(new WebRtcAgentSession(ws, handshake, options));
      waiters.notify();
    },
  });
  return {
    url: server.url,
    sessions,
    get rejectedHandshakes() {
      return server.rejectedHandshakes;
    },
    waitForSession: (index = 0, timeoutMs?: number) =>
      waiters.until(() => sessions[index], `WebRTC agent session #${index}`, timeoutMs),
    close: async () => {
      waiters.close('agent closed');
      await server.close();
    },
  };
}

export interface TakeWaitingCallOptions extends Omit<WebRtcEchoAgentOptions, 'host' | 'port' | 'secret'> {
  /** The adapter's `ws://host:port/v1/agent/webrtc`. */
  readonly url: string;
  readonly token?: string;
  /** Take this call, or the oldest on this route. */
  readonly callId?: string;
  readonly route?: string;
  readonly connectTimeoutMs?: number;
}

/**
 * The example WebRTC agent the other way round: it connects to the adapter's `/v1/agent/webrtc` endpoint (bearer
 * token), waits there for a call, and then behaves as `startWebRtcEchoAgent`'s sessions do. Resolves once the
 * WebSocket is open (the call may come later: `waitForEvent('incoming')`).
 */
export function takeWaitingCall(options: TakeWaitingCallOptions): Promise<WebRtcAgentSession> {
  const url = new URL(options.url);
  if (options.callId !== undefined) url.searchParams.set('callId', options.callId);
  if (options.route !== undefined) url.searchParams.set('route', options.route);
  const ws = new WebSocket(url, {
    ...(options.token === undefined ? {} : { headers: { authorization: `Bearer ${options.token}` } }),
    perMessageDeflate: false,
    handshakeTimeout: options.connectTimeoutMs ?? 10_000,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.off('error', reject);
      resolve(new WebRtcAgentSession(ws, { url: url.href, headers: {}, verified: false, callId: undefined }, options));
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(new Error(`the adapter refused the agent connection (HTTP ${res.statusCode})`));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}
