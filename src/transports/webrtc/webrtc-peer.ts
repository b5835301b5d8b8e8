// Over 400 lines: one werift peer's negotiation, ICE and RTP plumbing; split along werift's API it would scatter one flow.
import { isIPv4, isIPv6 } from 'node:net';
import {
  type MediaStreamTrack,
  RTCPeerConnection,
  type RTCPeerConnectionConfig,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  RtpHeader,
  RtpPacket,
} from 'werift';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { Logger } from '../../observability/logger.js';
import type { IceCandidateFields, WebRtcCodecName } from '../../protocols/agent/webrtc-signalling.js';
import { RTP_CODEC_SPECS } from './rtp-codec-spec.js';
import type { RtpSendHeader } from './rtp-send-sequencer.js';
import { candidateAllowed, filterSdpCandidates, negotiatedCodec } from './sdp-audio.js';
import { WebRtcError } from './webrtc-error.js';

/** A STUN or TURN server, as in a browser's `RTCIceServer`. */
export interface IceServer {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

export interface WebRtcPeerOptions {
  /** STUN/TURN servers; none by default (host candidates only). */
  readonly iceServers: readonly IceServer[];
  /**
   * Local addresses whose host candidates are advertised (`['*']`: every interface address). Loopback addresses are
   * gathered too when listed. Server-reflexive and relay candidates are always advertised.
   */
  readonly hostAddresses: readonly string[];
  /** Codecs offered (or accepted, for an answerer), most preferred first. */
  readonly codecs: readonly WebRtcCodecName[];
  /** How long an established connection may stay `disconnected` before it counts as lost. Default 5000 ms. */
  readonly disconnectedGraceMs?: number;
  /**
   * An established connection over which neither RTP nor RTCP arrives for this long counts as lost (a live peer
   * sends RTCP reports every few seconds even when it sends no audio). Default 15000 ms; ICE consent alone would
   * notice only after 30 s.
   */
  readonly mediaTimeoutMs?: number;
  /** Test hook: answer no STUN binding request (ICE then never connects). */
  readonly ignoreStun?: boolean;
  readonly logger: Logger;
}

/** One received RTP packet, as the media side needs it. */
export interface ReceivedRtp {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly marker: boolean;
  readonly payload: Buffer;
}

export interface WebRtcPeerStats {
  rtpSent: number;
  rtpSendDropped: number;
  rtpReceived: number;
  localCandidates: number;
  remoteCandidates: number;
}

export interface WebRtcPeerEvents {
  [key: string]: unknown[];
  /** A local candidate gathered after the description was produced (trickle). */
  localCandidate: [candidate: IceCandidateFields];
  rtp: [packet: ReceivedRtp];
  /** ICE and DTLS are up: media flows. */
  connected: [];
  /** The connection failed or was lost; emitted once, not after `close()`. */
  failed: [error: WebRtcError];
}

type Phase = 'new' | 'negotiating' | 'connected' | 'failed' | 'closed';

/**
 * One audio-only WebRTC peer connection (werift) for one call: SDP offer/answer, trickled candidates, ICE restricted
 * to the configured host addresses (plus any STUN/TURN servers), DTLS-SRTP, and raw RTP in and out — the caller of
 * `sendRtp` owns sequence numbers and timestamps. Failures are classified: ICE (`WEBRTC_ICE_FAILED`), DTLS
 * (`WEBRTC_DTLS_FAILED`), or a connection lost after it was up (`WEBRTC_CONNECTION_LOST`). `close()` is idempotent.
 */
export class WebRtcPeer extends TypedEmitter<WebRtcPeerEvents> {
  readonly stats: WebRtcPeerStats = {
    rtpSent: 0,
    rtpSendDropped: 0,
    rtpReceived: 0,
    localCandidates: 0,
    remoteCandidates: 0,
  };
  readonly #o: WebRtcPeerOptions;
  readonly #log: Logger;
  readonly #pc: RTCPeerConnection;
  readonly #allowed: ReadonlySet<string> | 'any';
  #transceiver: RTCRtpTransceiver | undefined;
  #phase: Phase = 'new';
  #codec: { name: WebRtcCodecName; payloadType: number } | undefined;
  #descriptionDone = false;
  #iceConnected = false;
  /** werift reports its candidate gathering as `completed` before any check; only later states are ICE's own. */
  #iceChecking = false;
  #dtlsState = 'new';
  #disconnectTimer: NodeJS.Timeout | undefined;
  #failure: WebRtcError | undefined;
  #lastInboundAt = 0;
  #mediaWatch: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  readonly #connectedWaiters = new Set<{ resolve: () => void; reject: (e: WebRtcError) => void }>();

  constructor(options: WebRtcPeerOptions) {
    super();
    this.#o = options;
    this.#log = options.logger;
    this.#allowed = options.hostAddresses.includes('*') ? 'any' : new Set(options.hostAddresses);
    this.#pc = new RTCPeerConnection(this.#config());
    this.#pc.onIceCandidate.subscribe((c) => this.#onLocalCandidate(c?.toJSON()));
    this.#pc.iceConnectionStateChange.subscribe((s) => this.#onIceState(s));
    this.#pc.connectionStateChange.subscribe((s) => this.#onConnectionState(s));
    this.#pc.onTrack.subscribe((track) => this.#onTrack(track));
  }

  /** The negotiated codec (after `acceptAnswer` or `answerOffer`). */
  get codec(): { name: WebRtcCodecName; payloadType: number } | undefined {
    return this.#codec;
  }

  get iceConnectionState(): string {
    return this.#pc.iceConnectionState;
  }

  get connectionState(): string {
    return this.#pc.connectionState;
  }

  /** Creates the SDP offer (one sendrecv audio section, candidates included) and applies it locally. */
  async createOffer(): Promise<string> {
    this.#phase = 'negotiating';
    this.#transceiver = this.#pc.addTransceiver('audio', { direction: 'sendrecv' });
    await this.#pc.setLocalDescription(await this.#pc.createOffer());
    this.#watchDtls();
    this.#descriptionDone = true;
    return filterSdpCandidates(this.#pc.localDescription?.sdp ?? '', this.#allowed);
  }

  /** Applies the agent's SDP answer and settles the codec. */
  async acceptAnswer(sdp: string): Promise<{ name: WebRtcCodecName; payloadType: number }> {
    const codec = negotiatedCodec(sdp, this.#o.codecs);
    if (codec === undefined) {
      throw new WebRtcError('WEBRTC_NO_COMMON_CODEC', `the answer accepts none of ${this.#o.codecs.join(', ')}`);
    }
    try {
      await this.#pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (err) {
      throw new WebRtcError(
        'WEBRTC_NEGOTIATION_FAILED',
        `the SDP answer could not be applied: ${(err as Error).message}`,
        undefined,
        err,
      );
    }
    this.#codec = codec;
    return codec;
  }

  /** Answerer side (example agents): applies an offer, returns the SDP answer and the codec it settles on. */
  async answerOffer(sdp: string): Promise<{ sdp: string; codec: { name: WebRtcCodecName; payloadType: number } }> {
    this.#phase = 'negotiating';
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp });
    } catch (err) {
      throw new WebRtcError(
        'WEBRTC_NEGOTIATION_FAILED',
        `the SDP offer could not be applied: ${(err as Error).message}`,
      );
    }
    this.#transceiver = this.#pc.getTransceivers().find((t) => t.kind === 'audio');
    this.#transceiver?.setDirection('sendrecv');
    await this.#pc.setLocalDescription(await this.#pc.createAnswer());
    this.#watchDtls();
    this.#descriptionDone = true;
    const answer = filterSdpCandidates(this.#pc.localDescription?.sdp ?? '', this.#allowed);
    const codec = negotiatedCodec(answer, this.#o.codecs);
    if (codec === undefined) throw new WebRtcError('WEBRTC_NO_COMMON_CODEC', 'the offer has none of our codecs');
    this.#codec = codec;
    return { sdp: answer, codec };
  }

  /** A candidate the remote side trickled; an empty `candidate` ends the list. */
  async addRemoteCandidate(c: IceCandidateFields): Promise<void> {
    if (this.#phase === 'closed') return;
    this.stats.remoteCandidates += 1;
    if (c.candidate === '') {
      await this.#pc.addIceCandidate(null).catch(() => {});
      return;
    }
    await this.#pc.addIceCandidate({
      candidate: c.candidate,
      ...(c.sdpMid != null ? { sdpMid: c.sdpMid } : {}),
      ...(c.sdpMLineIndex != null ? { sdpMLineIndex: c.sdpMLineIndex } : {}),
      ...(c.usernameFragment != null ? { usernameFragment: c.usernameFragment } : {}),
    });
  }

  /**
   * Resolves once ICE and DTLS are connected; rejects with the classified failure, or — when `signal` fires
   * first — with the failure of the step that had not finished (ICE checks still running, or the DTLS handshake).
   */
  connected(signal: AbortSignal): Promise<void> {
    if (this.#phase === 'connected') return Promise.resolve();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#phase === 'closed') return Promise.reject(this.#lost('the peer connection is closed'));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e: WebRtcError) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = (): void => {
        this.#connectedWaiters.delete(waiter);
        reject(this.#timeoutError());
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.#connectedWaiters.add(waiter);
    });
  }

  /** Sends one RTP packet with the negotiated payload type; dropped (and counted) until the connection is up. */
  sendRtp(header: RtpSendHeader, payload: Buffer): void {
    const sender = this.#transceiver?.sender;
    if (this.#phase !== 'connected' || sender === undefined || this.#codec === undefined) {
      this.stats.rtpSendDropped += 1;
      return;
    }
    const packet = new RtpPacket(
      new RtpHeader({
        payloadType: this.#codec.payloadType,
        sequenceNumber: header.sequenceNumber,
        timestamp: header.timestamp,
        marker: header.marker,
      }),
      payload,
    );
    this.stats.rtpSent += 1;
    sender.sendRtp(packet).catch((err: unknown) => {
      this.stats.rtpSendDropped += 1;
      this.#log.debug({ err }, 'RTP send failed');
    });
  }

  /** Closes the connection (idempotent, always resolves). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#phase = 'closed';
      if (this.#disconnectTimer) clearTimeout(this.#disconnectTimer);
      if (this.#mediaWatch) clearInterval(this.#mediaWatch);
      for (const w of this.#connectedWaiters) w.reject(this.#lost('the peer connection was closed'));
      this.#connectedWaiters.clear();
      try {
        await this.#pc.close();
      } catch (err) {
        this.#log.debug({ err }, 'peer connection close failed');
      }
      this.removeAllListeners();
    })();
    return this.#closing;
  }

  #config(): RTCPeerConnectionConfig {
    const hosts = this.#o.hostAddresses.filter((a) => a !== '*');
    const v4 = hosts.filter((a) => isIPv4(a));
    const v6 = hosts.filter((a) => isIPv6(a));
    return {
      codecs: {
        audio: this.#o.codecs.map((name) => {
          const s = RTP_CODEC_SPECS[name];
          return new RTCRtpCodecParameters({
            mimeType: s.mimeType,
            clockRate: s.clockRate,
            channels: s.channels,
            payloadType: s.payloadType,
            ...(s.fmtp === undefined ? {} : { parameters: s.fmtp }),
          });
        }),
      },
      iceServers: this.#o.iceServers.map((s) => ({
        urls: typeof s.urls === 'string' ? s.urls : [...s.urls],
        ...(s.username === undefined ? {} : { username: s.username }),
        ...(s.credential === undefined ? {} : { credential: s.credential }),
      })),
      ...(this.#allowed === 'any'
        ? {}
        : {
            iceAdditionalHostAddresses: hosts,
            iceUseIpv6: v6.length > 0,
            // One address per family: bind the sockets there, so nothing listens on other interfaces.
            ...(v4.length === 1 || v6.length === 1
              ? {
                  iceInterfaceAddresses: {
                    ...(v4.length === 1 ? { udp4: v4[0]! } : {}),
                    ...(v6.length === 1 ? { udp6: v6[0]! } : {}),
                  },
                }
              : {}),
          }),
      ...(this.#o.ignoreStun ? { iceFilterStunResponse: () => false } : {}),
    };
  }

  #onLocalCandidate(c: { candidate: string; sdpMid?: string; sdpMLineIndex?: number } | undefined): void {
    if (c === undefined || !candidateAllowed(c.candidate, this.#allowed)) return;
    this.stats.localCandidates += 1;
    // Candidates gathered before the description was produced are in its SDP already.
    if (!this.#descriptionDone || this.#phase === 'closed') return;
    this.emit('localCandidate', {
      candidate: c.candidate,
      ...(c.sdpMid !== undefined ? { sdpMid: c.sdpMid } : {}),
      ...(c.sdpMLineIndex !== undefined ? { sdpMLineIndex: c.sdpMLineIndex } : {}),
    });
  }

  #watchDtls(): void {
    for (const dtls of this.#pc.dtlsTransports) {
      dtls.onRtcp.subscribe(() => {
        this.#lastInboundAt = performance.now();
      });
      dtls.onStateChange.subscribe((state) => {
        this.#dtlsState = state;
        if (state === 'failed') {
          this.#fail(new WebRtcError('WEBRTC_DTLS_FAILED', 'the DTLS handshake with the agent failed'));
        }
      });
    }
  }

  #onIceState(state: string): void {
    this.#log.debug({ iceState: state }, 'ICE state');
    if (state === 'checking') this.#iceChecking = true;
    if (state === 'connected' || (state === 'completed' && this.#iceChecking)) {
      this.#iceConnected = true;
      if (this.#disconnectTimer) clearTimeout(this.#disconnectTimer);
      this.#disconnectTimer = undefined;
      return;
    }
    if (state === 'failed') {
      this.#fail(
        this.#phase === 'connected'
          ? this.#lost('ICE connectivity was lost')
          : new WebRtcError('WEBRTC_ICE_FAILED', 'no ICE candidate pair could connect to the agent', {
              iceState: state,
            }),
      );
      return;
    }
    if (state === 'disconnected' && this.#phase === 'connected' && this.#disconnectTimer === undefined) {
      this.#disconnectTimer = setTimeout(() => {
        this.#disconnectTimer = undefined;
        this.#fail(this.#lost('ICE stayed disconnected'));
      }, this.#o.disconnectedGraceMs ?? 5000);
    }
  }

  #onConnectionState(state: string): void {
    this.#log.debug({ connectionState: state }, 'peer connection state');
    if (state === 'connected' && this.#phase === 'negotiating') {
      this.#phase = 'connected';
      this.#watchMedia();
      for (const w of this.#connectedWaiters) w.resolve();
      this.#connectedWaiters.clear();
      this.emit('connected');
      return;
    }
    if ((state === 'failed' || state === 'closed') && this.#phase !== 'closed') {
      if (this.#phase === 'connected') this.#fail(this.#lost(`the peer connection ${state}`));
      else this.#fail(this.#timeoutError());
    }
  }

  #watchMedia(): void {
    const timeoutMs = this.#o.mediaTimeoutMs ?? 15_000;
    this.#lastInboundAt = performance.now();
    this.#mediaWatch = setInterval(
      () => {
        if (performance.now() - this.#lastInboundAt > timeoutMs) {
          this.#fail(this.#lost(`neither RTP nor RTCP arrived for ${timeoutMs} ms`));
        }
      },
      Math.min(1000, timeoutMs / 2),
    );
    this.#mediaWatch.unref();
  }

  #onTrack(track: MediaStreamTrack): void {
    track.onReceiveRtp.subscribe((rtp) => {
      if (this.#phase === 'closed') return;
      this.#lastInboundAt = performance.now();
      this.stats.rtpReceived += 1;
      this.emit('rtp', {
        payloadType: rtp.header.payloadType,
        sequenceNumber: rtp.header.sequenceNumber,
        timestamp: rtp.header.timestamp,
        marker: rtp.header.marker,
        payload: rtp.payload,
      });
    });
  }

  #fail(error: WebRtcError): void {
    if (this.#mediaWatch) clearInterval(this.#mediaWatch);
    if (this.#phase === 'failed' || this.#phase === 'closed') return;
    this.#phase = 'failed';
    this.#failure = error;
    this.#log.warn({ code: error.code, iceState: this.#pc.iceConnectionState, dtls: this.#dtlsState }, error.message);
    for (const w of this.#connectedWaiters) w.reject(error);
    this.#connectedWaiters.clear();
    this.emit('failed', error);
  }

  /** The failure to report when connecting did not finish: DTLS if ICE was up, ICE otherwise. */
  #timeoutError(): WebRtcError {
    const details = { iceState: this.#pc.iceConnectionState, dtlsState: this.#dtlsState };
    if (this.#iceConnected) {
      return new WebRtcError('WEBRTC_DTLS_FAILED', 'ICE connected but the DTLS handshake did not complete', details);
    }
    return new WebRtcError('WEBRTC_ICE_FAILED', 'ICE did not connect to the agent in time', details);
  }

  #lost(message: string): WebRtcError {
    return new WebRtcError('WEBRTC_CONNECTION_LOST', message, {
      iceState: this.#pc.iceConnectionState,
      dtlsState: this.#dtlsState,
    });
  }
}
