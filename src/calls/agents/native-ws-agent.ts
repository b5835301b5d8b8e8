import { type AudioFormat, type SampleRate, FRAME_MS } from '../../audio/format.js';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import { type AdapterEvent, AGENT_PROTOCOL_VERSION, type IncomingEvent } from '../../protocols/agent/index.js';
import type { AgentSocket } from '../../transports/agent-ws/agent-socket.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { AgentOutput, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';
import { AgentControlChannel } from './agent-control-channel.js';
import {
  UPLINK_CHUNK_MS,
  type UplinkChunkMs,
  type UplinkHoldStats,
  UplinkChunker,
  isUplinkChunkMs,
} from './uplink-chunker.js';

export interface NativeWsAgentOptions {
  /**
   * Yields an open WebSocket to the agent: dialled by the adapter (signed, retried under the route's policy), or one
   * the agent opened at /v1/agents/ws. `reconnect` is true after a lost connection; rejecting ends the agent (the
   * call gets its fallback).
   */
  open: (signal: AbortSignal, reconnect: boolean) => Promise<AgentSocket<AdapterEvent>>;
  sampleRate: 8000 | 16000 | 24000;
  logger: Logger;
  /**
   * The agent connected in and placed this call itself with `invite`: the socket `open` yields carries no
   * `incoming`/`accept` (the invite stood for them), and caller audio goes out in the frames the invite asked for.
   */
  invited?: { readonly frameMs: UplinkChunkMs } | undefined;
}

type Phase = 'new' | 'offered' | 'accepted' | 'reconnecting' | 'closed';

/**
 * An agent speaking the native protocol v1 (docs/agent-protocol.md) over a WebSocket, whichever side opened it (the
 * adapter dialled the route's URL, or the agent dialled in): JSON events and commands as text frames, PCM16 audio as
 * binary frames at the route's rate. A dropped connection is opened again by `open` (a dialled agent is redialled
 * under the route's reconnect policy and gets a fresh `incoming` with `customParameters.reconnect = "1"`); when that
 * fails the call gets its fallback. The protocol itself is an `AgentControlChannel` per connection.
 */
export class NativeWsAgent implements VoiceAgent {
  readonly kind = 'websocket';
  /** PCM16 at the offered rate, or at the rate the agent chose in `accept`. */
  #format: AudioFormat;
  readonly #o: NativeWsAgentOptions;
  readonly #log: Logger;
  #call!: CallInfo;
  #output!: AgentOutput;
  #channel: AgentControlChannel | undefined;
  #phase: Phase = 'new';
  #answeredAt: number | undefined;
  #abort = new AbortController();
  /** Caller frames to the agent, in chunks of the `frameMs` it asked for in `accept` (20 by default). */
  #uplink: UplinkChunker | undefined;

  constructor(options: NativeWsAgentOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#format = { encoding: 'pcm16', sampleRate: options.sampleRate as SampleRate };
  }

  get inputFormat(): AudioFormat {
    return this.#format;
  }

  get outputFormat(): AudioFormat {
    return this.#format;
  }

  async start(call: CallInfo, output: AgentOutput, signal: AbortSignal): Promise<void> {
    this.#call = call;
    this.#output = output;
    const abort = AbortSignal.any([signal, this.#abort.signal]);
    if (this.#o.invited) await this.#adoptInvited(abort, this.#o.invited.frameMs);
    else await this.#connectAndOffer(abort, false);
  }

  /** The agent's own socket, for the call it placed: accepted from the start. */
  async #adoptInvited(signal: AbortSignal, frameMs: UplinkChunkMs): Promise<void> {
    const socket = await this.#o.open(signal, false);
    if (this.#phase === 'closed') {
      await socket.close();
      return;
    }
    if (!socket.isOpen) {
      throw new AppError('the agent that placed the call closed its connection before the answer', {
        code: 'AGENT_DISCONNECTED',
        category: 'connectivity',
      });
    }
    const channel = this.#newChannel(socket);
    channel.adopt();
    this.#uplink = new UplinkChunker(frameMs, (chunk) => {
      if (this.#phase === 'accepted' && channel.accepted) channel.socket.sendBinary(chunk);
    });
    this.#phase = 'accepted';
  }

  #newChannel(socket: AgentSocket<AdapterEvent>): AgentControlChannel {
    const channel: AgentControlChannel = new AgentControlChannel({
      socket,
      call: this.#call,
      output: this.#output,
      logger: this.#log,
      answeredAt: () => this.#answeredAt,
      onBinary: (data) => channel.agentAudio(data),
      onLost: () => this.#onLost(channel),
    });
    this.#channel = channel;
    return channel;
  }

  async #connectAndOffer(signal: AbortSignal, reconnect: boolean): Promise<void> {
    const socket = await this.#o.open(signal, reconnect);
    if (this.#phase === 'closed') {
      await socket.close();
      return;
    }
    const channel = this.#newChannel(socket);
    this.#phase = 'offered';
    const accept = await channel.offer(this.#incoming(reconnect), signal);
    const sampleRate = accept.audio?.sampleRate;
    if (sampleRate !== undefined && sampleRate !== this.#format.sampleRate) {
      this.#format = { encoding: 'pcm16', sampleRate };
      this.#log.info({ sampleRate }, 'agent chose its audio rate');
    }
    this.#uplink = new UplinkChunker(this.#frameMs(channel, accept.audio?.frameMs), (chunk) => {
      if (this.#phase === 'accepted' && channel.accepted) channel.socket.sendBinary(chunk);
    });
    if (this.#phase === 'offered' || this.#phase === 'reconnecting') this.#phase = 'accepted';
  }

  /** The caller-audio frame length the agent asked for; anything not allowed gets an `error` event and 20 ms. */
  #frameMs(channel: AgentControlChannel, asked: unknown): 20 | 40 | 60 | 80 | 100 {
    if (asked === undefined) return FRAME_MS;
    if (isUplinkChunkMs(asked)) {
      if (asked !== FRAME_MS) this.#log.info({ frameMs: asked }, 'agent takes caller audio in bigger frames');
      return asked;
    }
    const allowed = UPLINK_CHUNK_MS.join(', ');
    this.#log.warn({ frameMs: asked }, 'agent asked for an invalid frameMs; using 20');
    channel.sendError(
      'invalid_command',
      `accept audio.frameMs must be one of ${allowed}, got ${JSON.stringify(asked)}; caller audio comes in ${FRAME_MS} ms frames`,
      'accept',
    );
    return FRAME_MS;
  }

  /** How long caller audio waited to fill the agent's frames (undefined before `accept`). */
  get uplinkStats(): UplinkHoldStats | undefined {
    return this.#uplink?.stats;
  }

  #incoming(reconnect: boolean): IncomingEvent {
    const c = this.#call;
    const stasis = c.channelId !== undefined;
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
        mode: stasis ? 'stasis' : 'audiosocket',
        ...(c.channelId !== undefined ? { id: c.channelId } : {}),
        ...(c.customParameters.audiosocketUuid !== undefined
          ? { audiosocketUuid: c.customParameters.audiosocketUuid }
          : {}),
      },
      audio: { encoding: 'pcm16', sampleRate: this.#format.sampleRate as 8000 | 16000 | 24000, frameMs: FRAME_MS },
      customParameters: { ...c.customParameters, ...(reconnect ? { reconnect: '1' } : {}) },
      ...(c.amdResult ? { amd: { ...c.amdResult } } : {}),
    };
  }

  sendAudio(chunk: Buffer): void {
    if (this.#phase === 'accepted' && this.#channel?.accepted) this.#uplink?.push(chunk);
  }

  notify(notice: CallNotice): void {
    if (notice.type === 'answer') this.#answeredAt = Date.now();
    if (this.#phase === 'closed') return;
    // The agent gets the caller's audio up to the moment it started speaking before the `speaking` event.
    if (notice.type === 'speaking') this.#uplink?.flush();
    this.#channel?.notify(notice);
  }

  async close(reason: CloseReason, initiator: HangupInitiator, cause?: number): Promise<void> {
    if (this.#phase === 'closed') return;
    // The caller's last partial frame goes out before the `hangup` event.
    this.#uplink?.flush();
    this.#phase = 'closed';
    this.#abort.abort();
    await this.#channel?.close(reason, initiator, cause);
  }

  #onLost(channel: AgentControlChannel): void {
    if (channel !== this.#channel || this.#phase === 'closed') return;
    this.#phase = 'reconnecting';
    // A partial frame for the lost connection cannot be delivered.
    this.#uplink?.drop();
    this.#connectAndOffer(this.#abort.signal, true).then(
      () => this.#log.info('agent reconnected'),
      (err: unknown) => {
        if (this.#phase === 'closed') return;
        this.#output.fail(
          err instanceof AppError
            ? err
            : new AppError('agent reconnect failed', {
                code: 'AGENT_DISCONNECTED',
                category: 'connectivity',
                cause: err,
              }),
        );
      },
    );
  }
}
