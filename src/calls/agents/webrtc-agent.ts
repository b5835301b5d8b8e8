// Over 400 lines (just): the WebRTC agent's control channel, SDP exchange and media pipeline wiring as one VoiceAgent.
import type { WebSocket } from 'ws';
import { type AudioFormat, FRAME_MS } from '../../audio/format.js';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import {
  type AdapterEvent,
  AGENT_PROTOCOL_VERSION,
  type IncomingEvent,
  parseWebRtcSignalCommand,
  type WebRtcCodecName,
  type WebRtcSignalEvent,
} from '../../protocols/agent/index.js';
import { AgentSocket } from '../../transports/agent-ws/agent-socket.js';
import {
  DEFAULT_AGENT_CLOSE_TIMEOUT_MS,
  DEFAULT_AGENT_MAX_BUFFERED_BYTES,
} from '../../transports/agent-ws/connect-agent-socket.js';
import { connectAgentSocketWithRetry } from '../../transports/agent-ws/connect-with-retry.js';
import type { RetryPolicy } from '../../lib/retry-policy.js';
import { codecFormat, createRtpAudioCodec } from '../../transports/webrtc/rtp-audio-codec.js';
import type { RtpAudioCodec } from '../../transports/webrtc/rtp-codec-spec.js';
import { type RtpJitterBufferStats, RtpJitterBuffer } from '../../transports/webrtc/rtp-jitter-buffer.js';
import { RtpAudioPipeline } from '../../transports/webrtc/rtp-audio-pipeline.js';
import { WebRtcError } from '../../transports/webrtc/webrtc-error.js';
import { type IceServer, WebRtcPeer } from '../../transports/webrtc/webrtc-peer.js';
import type { LifecycleEventData, LifecycleEventType, RecordLifecycle } from '../call-lifecycle.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { AgentOutput, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';
import { AgentControlChannel } from './agent-control-channel.js';
import { WebRtcSdpExchange } from './webrtc-sdp-exchange.js';
import type { TickSource } from './webrtc-tick-source.js';
import type { AgentWaits } from './waiting-calls.js';

export interface WebRtcAgentOptions {
  /** The agent's control channel; undefined: wait for an agent to take the call (`waitingCalls`). */
  readonly url: string | undefined;
  readonly secret: string | undefined;
  /** Codecs offered, most preferred first. */
  readonly codecs: readonly WebRtcCodecName[];
  /** Sample rate of the call's media leg (8000 or 16000). */
  readonly legRate: number;
  readonly reconnect: RetryPolicy;
  readonly iceServers: readonly IceServer[];
  readonly hostAddresses: readonly string[];
  /** Mid-call, no RTP nor RTCP from the agent for this long ends its leg (`WEBRTC_CONNECTION_LOST`). */
  readonly mediaTimeoutMs?: number;
  /** Receive jitter buffer: packets held before playout, and at most. */
  readonly jitter: { readonly targetPackets: number; readonly maxPackets: number };
  /** 20 ms ticks that pace agent audio out of the jitter buffer. */
  readonly clock: TickSource;
  /** Where calls of routes without `url` wait for an agent. */
  readonly waitingCalls: AgentWaits | undefined;
  readonly logger: Logger;
  /** Records a lifecycle event on the call (codec chosen, media failure cause). */
  readonly record?: RecordLifecycle;
}

/** What the agent negotiated and how its media went; for logs, records and tests. */
export interface WebRtcAgentStats {
  codec: WebRtcCodecName | undefined;
  payloadType: number | undefined;
  rtpSent: number;
  rtpReceived: number;
  /** Received packets whose payload type is not the negotiated codec's (dropped). */
  rtpUnexpectedPayloadType: number;
  /** Caller frames dropped by the send pacing (more than real time allows, e.g. audio held while connecting). */
  callerFramesDropped: number;
  /** Binary frames the agent sent on the control channel (refused: audio is RTP on this route). */
  binaryFramesRefused: number;
  jitter: RtpJitterBufferStats;
}

type Phase = 'new' | 'connecting' | 'connected' | 'closed';

/**
 * An agent reached over WebRTC: the native protocol's control channel (dialled at the route's `url`, or taken over
 * from an agent that connected to `/v1/agent/webrtc`) carries the events, the commands and the SDP offer/answer and
 * ICE candidates; the call audio flows as RTP over a werift peer connection (docs/agent-protocol.md §8).
 *
 * Media (`RtpAudioPipeline`): caller audio arrives in the codec's bridge format (G.711 bytes for PCMU/PCMA, PCM16 at
 * the leg rate for Opus), is cut into 20 ms frames and sent one per clock tick (a backlog beyond 40 ms is dropped,
 * oldest first), encoded, with continuous sequence numbers and timestamps. Agent RTP goes through a bounded jitter
 * buffer; one packet's worth is taken per tick, decoded (or concealed when lost) and handed to the call as agent
 * audio, under the same utterance rules as native binary audio. The call's fallback follows any failure: control
 * channel lost, ICE or DTLS failed, media gone silent.
 */
export class WebRtcAgent implements VoiceAgent {
  readonly kind = 'webrtc';
  readonly #o: WebRtcAgentOptions;
  readonly #log: Logger;
  #format: AudioFormat | undefined;
  #call!: CallInfo;
  #output!: AgentOutput;
  #phase: Phase = 'new';
  #abort = new AbortController();
  /** Aborted when the control channel or the peer fails while connecting; `#connectFailure` says why. */
  readonly #negotiation = new AbortController();
  #connectFailure: AppError | undefined;
  #channel: AgentControlChannel<WebRtcSignalEvent> | undefined;
  #peer: WebRtcPeer | undefined;
  #codec: RtpAudioCodec | undefined;
  #pipeline: RtpAudioPipeline | undefined;
  readonly #jitter: RtpJitterBuffer;
  #unsubscribeTick: (() => void) | undefined;
  #answeredAt: number | undefined;
  #exchange: WebRtcSdpExchange | undefined;
  readonly #stats: Pick<WebRtcAgentStats, 'codec' | 'payloadType' | 'binaryFramesRefused'> = {
    codec: undefined,
    payloadType: undefined,
    binaryFramesRefused: 0,
  };

  constructor(options: WebRtcAgentOptions) {
    if (options.codecs.length === 0) throw new RangeError('a WebRTC agent needs at least one codec');
    this.#o = options;
    this.#log = options.logger;
    this.#jitter = new RtpJitterBuffer({
      targetDepth: options.jitter.targetPackets,
      maxDepth: options.jitter.maxPackets,
    });
  }

  /** The codec's bridge format: settled by negotiation; before it, the format of the preferred codec. */
  get inputFormat(): AudioFormat {
    return this.#format ?? this.#tentativeFormat();
  }

  get outputFormat(): AudioFormat {
    return this.inputFormat;
  }

  get stats(): WebRtcAgentStats {
    const p = this.#pipeline?.stats;
    return {
      ...this.#stats,
      rtpSent: this.#peer?.stats.rtpSent ?? 0,
      rtpReceived: this.#peer?.stats.rtpReceived ?? 0,
      rtpUnexpectedPayloadType: p?.unexpectedPayloadType ?? 0,
      callerFramesDropped: p?.framesDropped ?? 0,
      jitter: { ...this.#jitter.stats },
    };
  }

  async start(call: CallInfo, output: AgentOutput, signal: AbortSignal): Promise<void> {
    this.#call = call;
    this.#output = output;
    this.#phase = 'connecting';
    const abort = AbortSignal.any([signal, this.#abort.signal]);
    const socket = await this.#openControlChannel(abort);
    if (this.#isClosed()) {
      await socket.close();
      return;
    }
    const channel = new AgentControlChannel<WebRtcSignalEvent>({
      socket,
      call,
      output,
      logger: this.#log,
      answeredAt: () => this.#answeredAt,
      onBinary: () => this.#refuseBinary(),
      onExtensionText: (text) => this.#onSignalText(text),
      onLost: (info) =>
        this.#fail(
          new AppError(`the agent's control channel closed (${info.code})`, {
            code: 'AGENT_DISCONNECTED',
            category: 'connectivity',
            details: { code: info.code, reason: info.reason },
          }),
        ),
    });
    this.#channel = channel;
    const negotiation = AbortSignal.any([abort, this.#negotiation.signal]);
    try {
      await channel.offer(this.#incoming(), negotiation);
      await this.#negotiate(channel, negotiation);
    } catch (err) {
      throw this.#connectFailure ?? err;
    }
  }

  sendAudio(chunk: Buffer): void {
    if (this.#phase === 'connected') this.#pipeline?.send(chunk);
  }

  notify(notice: CallNotice): void {
    if (notice.type === 'answer') this.#answeredAt = Date.now();
    if (this.#phase === 'closed') return;
    // The packets still buffered belong to the utterance that was cut.
    if (notice.type === 'interruption') this.#pipeline?.flushReceived();
    // A live RTP stream hands over one frame per tick, so playout runs dry after every frame while the agent keeps
    // talking; its automatic utterance ends when the stream pauses instead (`onPause`).
    if (notice.type === 'playoutDrained' && this.#pipeline?.receiving) return;
    this.#channel?.notify(notice);
  }

  async close(reason: CloseReason, initiator: HangupInitiator): Promise<void> {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#abort.abort();
    this.#unsubscribeTick?.();
    this.#unsubscribeTick = undefined;
    this.#exchange?.cancel();
    const steps: Array<() => unknown> = [
      () => this.#channel?.close(reason, initiator),
      () => this.#peer?.close(),
      () => this.#codec?.close(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        this.#log.warn({ err }, 'WebRTC agent close step failed');
      }
    }
    if (this.#peer) this.#log.info({ stats: this.stats }, 'WebRTC agent closed');
  }

  async #openControlChannel(signal: AbortSignal): Promise<AgentSocket<AdapterEvent | WebRtcSignalEvent>> {
    const call = this.#call;
    if (this.#o.url !== undefined) {
      return connectAgentSocketWithRetry<AdapterEvent | WebRtcSignalEvent>({
        url: this.#o.url,
        ...(this.#o.secret ? { secret: this.#o.secret } : {}),
        callId: call.callId,
        connectTimeoutMs: 5000,
        signal,
        logger: this.#log,
        policy: this.#o.reconnect,
        onRetry: (info) =>
          this.#log.info({ attempt: info.attempt, delayMs: info.delayMs }, 'agent connect failed; retrying'),
      });
    }
    const waiting = this.#o.waitingCalls;
    if (waiting === undefined) {
      throw new AppError('the route has no agent url and this adapter does not serve /v1/agent/webrtc', {
        code: 'AGENT_URL_MISSING',
        category: 'configuration',
      });
    }
    this.#log.info('waiting for an agent to take the call');
    const ws: WebSocket = await waiting.waitForAgent(
      {
        callId: call.callId,
        route: call.route.name,
        caller: call.caller,
        callee: call.callee,
        since: new Date(),
      },
      signal,
    );
    this.#log.info('an agent took the call');
    return new AgentSocket<AdapterEvent | WebRtcSignalEvent>(ws, {
      callId: call.callId,
      logger: this.#log,
      maxBufferedBytes: DEFAULT_AGENT_MAX_BUFFERED_BYTES,
      closeTimeoutMs: DEFAULT_AGENT_CLOSE_TIMEOUT_MS,
    });
  }

  /** offer → answer → ICE + DTLS connected; settles the codec and starts the media. */
  async #negotiate(channel: AgentControlChannel<WebRtcSignalEvent>, signal: AbortSignal): Promise<void> {
    const peer = new WebRtcPeer({
      iceServers: this.#o.iceServers,
      hostAddresses: this.#o.hostAddresses,
      codecs: this.#o.codecs,
      ...(this.#o.mediaTimeoutMs === undefined ? {} : { mediaTimeoutMs: this.#o.mediaTimeoutMs }),
      logger: this.#log,
    });
    this.#peer = peer;
    peer.on('rtp', (p) => {
      if (this.#phase === 'connected') this.#pipeline?.receive(p);
    });
    peer.on('failed', (err) => {
      if (this.#phase === 'connected') this.#fail(err);
    });
    const exchange = new WebRtcSdpExchange({
      peer,
      callId: this.#call.callId,
      send: (event) => channel.send(event),
      sendError: (code, message, command) => channel.sendError(code, message, command),
      logger: this.#log,
    });
    this.#exchange = exchange;
    try {
      const codec = await exchange.negotiate(signal);
      this.#settleCodec(codec, peer, channel);
      await peer.connected(signal);
    } catch (err) {
      if (err instanceof WebRtcError) {
        this.#record('webrtc.failed', { code: err.code, message: err.message, ...err.details });
      }
      throw err;
    }
    if (this.#isClosed()) return;
    this.#phase = 'connected';
    this.#unsubscribeTick = this.#o.clock.subscribe(() => {
      if (this.#phase === 'connected') this.#pipeline?.tick();
    });
    this.#log.info({ codec: this.#stats.codec, iceState: peer.iceConnectionState }, 'WebRTC media connected');
    this.#record('webrtc.connected', { codec: this.#stats.codec });
  }

  #settleCodec(
    codec: { name: WebRtcCodecName; payloadType: number },
    peer: WebRtcPeer,
    channel: AgentControlChannel<WebRtcSignalEvent>,
  ): void {
    const rtp = createRtpAudioCodec(codec.name, this.#o.legRate);
    this.#codec = rtp;
    this.#format = rtp.format;
    this.#pipeline = new RtpAudioPipeline({
      codec: rtp,
      payloadType: codec.payloadType,
      sink: peer,
      jitter: this.#jitter,
      onAudio: (data) => channel.agentAudio(data),
      onPause: () => channel.notify({ type: 'playoutDrained' }),
    });
    this.#stats.codec = codec.name;
    this.#stats.payloadType = codec.payloadType;
    const data = { codec: codec.name, payloadType: codec.payloadType, offered: [...this.#o.codecs] };
    this.#log.info(data, 'WebRTC codec negotiated');
    this.#record('webrtc.negotiated', data);
  }

  #incoming(): IncomingEvent {
    const c = this.#call;
    const rate = this.#o.legRate;
    return {
      event: 'incoming',
      callId: c.callId,
      timestamp: Date.now(),
      protocolVersion: AGENT_PROTOCOL_VERSION,
      caller: c.caller ?? '',
      callee: c.callee ?? '',
      route: c.route.name,
      direction: c.direction,
      channel: {
        mode: c.channelId !== undefined ? 'stasis' : 'audiosocket',
        ...(c.channelId !== undefined ? { id: c.channelId } : {}),
        ...(c.customParameters.audiosocketUuid !== undefined
          ? { audiosocketUuid: c.customParameters.audiosocketUuid }
          : {}),
      },
      audio: { encoding: 'pcm16', sampleRate: rate === 16000 ? 16000 : 8000, frameMs: FRAME_MS },
      customParameters: { ...c.customParameters },
      ...(c.amdResult ? { amd: { ...c.amdResult } } : {}),
      media: { transport: 'webrtc', codecs: [...this.#o.codecs] },
    };
  }

  /** Signalling frames (`answer`, `candidate`); everything else goes to the native command handling. */
  #onSignalText(text: string): boolean {
    if (this.#exchange) return this.#exchange.onText(text);
    const parsed = parseWebRtcSignalCommand(text);
    if (!parsed.signal) return false;
    this.#channel?.sendError(
      'invalid_state',
      'signalling starts with the offer, after accept',
      parsed.ok ? parsed.message.command : undefined,
    );
    return true;
  }

  #refuseBinary(): void {
    this.#stats.binaryFramesRefused += 1;
    if (this.#stats.binaryFramesRefused === 1) {
      this.#channel?.sendError(
        'invalid_state',
        'binary audio is not used on a WebRTC route; send RTP over the peer connection',
      );
    }
  }

  #fail(error: AppError): void {
    if (this.#phase === 'closed') return;
    this.#record('webrtc.failed', { code: error.code, message: error.message });
    if (this.#phase === 'connecting') {
      this.#connectFailure ??= error;
      this.#negotiation.abort(error);
      return;
    }
    this.#output.fail(error);
  }

  #record<K extends LifecycleEventType>(type: K, data: LifecycleEventData[K]): void {
    try {
      this.#o.record?.(type, data);
    } catch (err) {
      this.#log.debug({ err }, 'recording a WebRTC event failed');
    }
  }

  /** Read through a method so checks after an `await` are not narrowed away by the compiler. */
  #isClosed(): boolean {
    return this.#phase === 'closed';
  }

  #tentativeFormat(): AudioFormat {
    return codecFormat(this.#o.codecs[0]!, this.#o.legRate);
  }
}
