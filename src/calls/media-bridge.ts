// Over 400 lines: one call's media flow in both directions stays in one class; flush accounting, pre-start audio,
// gap filling and speech-rate conversion already live in their own files beside it.
import { type AudioFormat, describeFormat, formatsEqual, msForBytes, pcmSamples } from '../audio/format.js';
import { FormatConverter } from '../audio/format-converter.js';
import type { ClockTick, MediaClock } from '../audio/media-clock.js';
import { type ClearResult, PlayoutBuffer, type UtteranceProgress } from '../audio/playout-buffer.js';
import { StreamFramer } from '../audio/stream-framer.js';
import type { AppError } from '../errors/app-error.js';
import { settleWithin } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import type { MediaLeg, SpeechDetector, SpeechDetectorFactory } from './media-leg.js';
import { PreStartAudio } from './pre-start-audio.js';
import { clearedNotices, withUnplayed } from './playout-flush.js';
import { speechDetectorForRate } from './speech-at-rate.js';
import { type CallLatency, TurnLatencyMeter } from './turn-latency.js';
import { UplinkGapFiller, type UplinkGap } from './uplink-gap-filler.js';
import type { AgentAction, AgentOutput, CallNotice, VoiceAgent } from './voice-agent.js';

export interface MediaBridgeOptions {
  callId: string;
  leg: MediaLeg;
  agent: VoiceAgent;
  clock: MediaClock;
  playoutMaxMs: number;
  /** Flush agent playout when the caller starts speaking over it (needs `speech`). */
  bargeIn: boolean;
  speech?: SpeechDetectorFactory | undefined;
  /** Deliver DTMF frames from the leg to the agent (false where ARI reports DTMF instead). */
  legDtmf?: boolean;
  /** Caller audio kept while the agent is still connecting; the oldest is dropped beyond it. */
  preStartBufferMs?: number;
  act: (action: AgentAction) => Promise<void>;
  onAgentFailure: (error: AppError) => void;
  logger: Logger;
  /** Fill inbound gaps longer than this (ms) with silence on the media clock (see `UplinkGapFiller`); off if unset. */
  gapFillAfterMs?: number | undefined;
  onGapStart?: (startedAt: number) => void;
  onGapEnd?: (gap: UplinkGap) => void;
  /** Monotonic ms for frame arrival and gap timing; `performance.now` by default. */
  now?: () => number;
}

export interface MediaBridgeStats {
  framesIn: number;
  framesOut: number;
  silenceFramesOut: number;
  bargeIns: number;
  agentAudioBytes: number;
  preStartDroppedFrames: number;
}

/** How long `MediaBridge.close()` waits for the speech detector to close. */
const SPEECH_CLOSE_WAIT_MS = 1000;

/**
 * Moves one call's audio between its Asterisk leg and its agent. Caller audio: leg → (convert to the agent's
 * format) → agent, and → speech detector. Agent audio: (convert to the leg's format) → playout buffer → one frame
 * per media-clock tick → leg. Frames go out from the first tick on, silence when the agent has nothing to say.
 * Barge-in: caller speech over unprotected agent audio flushes playout and tells the agent what was heard.
 */
export class MediaBridge {
  readonly output: AgentOutput;
  readonly stats: MediaBridgeStats = {
    framesIn: 0,
    framesOut: 0,
    silenceFramesOut: 0,
    bargeIns: 0,
    agentAudioBytes: 0,
    preStartDroppedFrames: 0,
  };
  readonly #o: MediaBridgeOptions;
  readonly #log: Logger;
  readonly #latency = new TurnLatencyMeter();
  #playout!: PlayoutBuffer;
  #toAgent!: FormatConverter;
  #fromAgent!: FormatConverter;
  /** Caller audio in the agent's format, cut into whole 20 ms frames (an agent only ever gets whole frames). */
  #uplink!: StreamFramer;
  #speech: SpeechDetector | undefined;
  #unsubscribeClock: (() => void) | undefined;
  #agentReady = false;
  readonly #preStart: PreStartAudio;
  #muted = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** True while a tick takes a frame; `#reached` is what its playout events must do once that frame has been sent. */
  #taking = false;
  #reached: Array<() => void> | undefined;
  readonly #gaps: UplinkGapFiller | undefined;
  readonly #now: () => number;
  readonly #onAudio = (frame: Buffer, format: AudioFormat) => {
    this.#gaps?.frameArrived(this.#now());
    this.#callerAudio(frame, format);
  };
  readonly #onDtmf = (digit: string) => this.#notify({ type: 'dtmf', digit });
  readonly #onFormatChange = (format: AudioFormat) => this.#configure(format);

  constructor(options: MediaBridgeOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#now = options.now ?? (() => performance.now());
    this.#preStart = new PreStartAudio(options.preStartBufferMs);
    if (options.gapFillAfterMs !== undefined)
      this.#gaps = new UplinkGapFiller({
        afterMs: options.gapFillAfterMs,
        inject: (frame, format) => this.#callerAudio(frame, format),
        ...(options.onGapStart ? { onGapStart: options.onGapStart } : {}),
        ...(options.onGapEnd ? { onGapEnd: options.onGapEnd } : {}),
      });
    this.#configure(options.leg.format);
    this.output = this.#makeOutput();
  }

  /** Turn latency measured so far (caller speech end → agent audio → first frame to Asterisk). */
  get latency(): CallLatency {
    return this.#latency.summary();
  }

  /** How long the leg has sent no caller audio (0 when gap filling is off). */
  get uplinkSilentMs(): number {
    return this.#gaps?.silentMs(this.#now()) ?? 0;
  }

  /** Gaps found and silence frames injected so far. */
  get gapStats(): { gaps: number; filledFrames: number } {
    return this.#gaps ? { ...this.#gaps.stats } : { gaps: 0, filledFrames: 0 };
  }

  get playout(): PlayoutBuffer {
    return this.#playout;
  }

  /** Converters in use, exposed so tests can prove a path does no resampling. */
  get converters(): { toAgent: FormatConverter; fromAgent: FormatConverter } {
    return { toAgent: this.#toAgent, fromAgent: this.#fromAgent };
  }

  /** Starts pacing frames to the leg and listening to it. */
  start(): void {
    const leg = this.#o.leg;
    leg.on('audio', this.#onAudio);
    if (this.#o.legDtmf !== false) leg.on('dtmf', this.#onDtmf);
    leg.on('formatChange', this.#onFormatChange);
    // Each call writes on its own phase of the period (see MediaClock), on an exact 20 ms grid of its own.
    this.#unsubscribeClock = this.#o.clock.subscribe((tick) => this.#onTick(tick), { spread: true });
    this.#gaps?.start(this.#now());
  }

  /** The agent is connected: caller audio held so far is delivered, then it flows live. */
  agentReady(): void {
    if (this.#agentReady || this.#closed) return;
    this.#agentReady = true;
    // The agent may have settled on another format while connecting (native `accept {audio}`).
    const agent = this.#o.agent;
    const leg = this.#playout.format;
    if (!formatsEqual(this.#toAgent.to, agent.inputFormat)) {
      this.#toAgent = new FormatConverter(leg, agent.inputFormat);
      this.#uplink = new StreamFramer(agent.inputFormat);
      this.#preStart.take();
    }
    if (!formatsEqual(this.#fromAgent.from, agent.outputFormat))
      this.#fromAgent = new FormatConverter(agent.outputFormat, leg);
    for (const chunk of this.#preStart.take()) this.#o.agent.sendAudio(chunk);
  }

  /** Drops the caller audio held for an agent still connecting (what it must not answer, e.g. a voicemail greeting). */
  discardHeldAudio(): void {
    this.#preStart.take();
  }

  /**
   * Stops sending and receiving at once (synchronously), then waits, at most SPEECH_CLOSE_WAIT_MS, for the speech
   * detector to close. Idempotent: every call returns the same promise; it never rejects.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribeClock?.();
    this.#gaps?.close(this.#now());
    const leg = this.#o.leg;
    leg.off('audio', this.#onAudio);
    leg.off('dtmf', this.#onDtmf);
    leg.off('formatChange', this.#onFormatChange);
    this.#playout.removeAllListeners();
    const speech = this.#speech;
    this.#speech = undefined;
    this.#preStart.take();
    if (!speech) return;
    const closed = Promise.resolve()
      .then(() => speech.close())
      .catch((err: unknown) => this.#log.warn({ err }, 'speech detector close failed'));
    if (!(await settleWithin(closed, SPEECH_CLOSE_WAIT_MS)))
      this.#log.warn({ waitMs: SPEECH_CLOSE_WAIT_MS }, 'speech detector did not close in time');
  }

  /**
   * Flushes playout (barge-in or an agent's request) and reports to the agent what each utterance got to play. The
   * result is what our playout buffer dropped; where the leg acknowledges playout (chan_websocket), the agent's
   * `interruption` notices come once Asterisk has confirmed the flush, with what it had played by then.
   */
  interrupt(cause: 'barge_in' | 'agent'): ClearResult {
    const playout = this.#playout;
    const result = playout.clear();
    // What the resampler still holds belongs to the audio just dropped.
    this.#fromAgent.reset();
    if (cause === 'barge_in') this.stats.bargeIns += 1;
    const ack = this.#o.leg.playoutAck;
    if (!ack) {
      this.#reportCleared(cause, result);
      return result;
    }
    void ack.flushPlayout().then((unplayed) => this.#reportCleared(cause, withUnplayed(playout, result, unplayed)));
    return result;
  }

  /** Tells the agent what each flushed utterance got to play, and which marks were cleared. */
  #reportCleared(cause: 'barge_in' | 'agent', result: ClearResult): void {
    for (const notice of clearedNotices(result)) this.#notify(notice);
    this.#log.debug({ cause, droppedMs: result.droppedMs, utterances: result.utterances }, 'playout flushed');
  }

  setMuted(muted: boolean): void {
    this.#muted = muted;
  }

  #makeOutput(): AgentOutput {
    return {
      audio: (data, options = {}) => {
        if (this.#closed || data.length === 0) return;
        this.stats.agentAudioBytes += data.length;
        this.#latency.agentAudio();
        const converted = this.#fromAgent.push(data);
        if (converted.length > 0)
          this.#playout.push(converted, options.utteranceId, { protected: options.protected ?? false });
      },
      endUtterance: (utteranceId) => {
        // The resampler holds its group delay back; the utterance's tail belongs to it.
        const tail = this.#fromAgent.flush();
        if (tail.length > 0) this.#playout.push(tail, utteranceId);
        this.#playout.endUtterance(utteranceId);
      },
      mark: (name) => this.#playout.mark(name),
      interrupt: () => this.interrupt('agent'),
      playedMs: (utteranceId) => this.#playout.playedMs(utteranceId),
      act: (action) => this.#o.act(action),
      fail: (error) => this.#o.onAgentFailure(error),
    };
  }

  #configure(format: AudioFormat): void {
    const agent = this.#o.agent;
    const previous = this.#playout as PlayoutBuffer | undefined;
    if (previous && formatsEqual(previous.format, format)) return;
    if (previous) {
      this.#changeFormat(previous, format);
    } else {
      this.#toAgent = new FormatConverter(format, agent.inputFormat);
      this.#fromAgent = new FormatConverter(agent.outputFormat, format);
      this.#uplink = new StreamFramer(agent.inputFormat);
      this.#playout = new PlayoutBuffer({ format, maxMs: this.#o.playoutMaxMs });
      this.#listenToPlayout(this.#playout);
    }
    this.#startSpeech(format);
  }

  /**
   * The leg's format changed (AudioSocket: Asterisk's first audio frame shows another rate than the planned one, or
   * its kind changes mid-call; chan_websocket: MEDIA_START names another format). Nothing the agent sent is lost and
   * no mark is answered early: the queued agent audio is converted to the new format in place, with its marks and
   * utterance accounting (played ms, dropped ms) kept, and the converters are rebuilt around it.
   *
   * Converting rather than holding agent audio until the rate is known: the bridge must send a frame every tick from
   * the first moment (a silent AudioSocket stalls Asterisk), a quiet caller may send nothing for seconds, so "known"
   * may come late or never, and a greeting held until then would start late. Converting plays the audio at once in
   * the format assumed so far and continues it seamlessly at the new one; the cost is one resampling pass over at
   * most `playoutMaxMs` of queued audio, once.
   */
  #changeFormat(playout: PlayoutBuffer, format: AudioFormat): void {
    const agent = this.#o.agent;
    const old = playout.format;
    this.#log.info(
      { from: describeFormat(old), to: describeFormat(format), queuedMs: Math.round(playout.bufferedMs) },
      'media leg format changed; queued agent audio converted',
    );
    // What the old converters still hold (their group delay) belongs to the streams they were converting.
    const tail = this.#fromAgent.flush();
    if (tail.length > 0) playout.push(tail);
    this.#sendToAgent(this.#toAgent.flush());
    playout.reformat(format, (data) => {
      const once = new FormatConverter(old, format);
      return Buffer.concat([once.push(data), once.flush()]);
    });
    this.#toAgent = new FormatConverter(format, agent.inputFormat);
    this.#fromAgent = new FormatConverter(agent.outputFormat, format);
  }

  #listenToPlayout(playout: PlayoutBuffer): void {
    const format = () => playout.format;
    playout.on('mark', (name) =>
      this.#whenPlayed((played) => this.#notify(played ? { type: 'mark', name } : { type: 'markCleared', name })),
    );
    playout.on('utteranceStart', (utteranceId) => this.#notify({ type: 'utteranceStart', utteranceId }));
    playout.on('utteranceEnd', (p: UtteranceProgress) =>
      this.#whenPlayed((played) => {
        if (played) this.#notify({ type: 'utteranceEnd', utteranceId: p.utteranceId, playedMs: p.playedMs });
      }),
    );
    playout.on('drained', () =>
      this.#whenPlayed((played) => {
        if (played) this.#notify({ type: 'playoutDrained' });
      }),
    );
    playout.on('overflow', (bytes) => {
      const droppedMs = msForBytes(format(), bytes);
      this.#log.warn({ droppedMs }, 'playout buffer full: newest agent audio dropped');
      this.#notify({
        type: 'error',
        code: 'audio_overflow',
        message: `playout buffer full: ${droppedMs} ms of audio dropped`,
      });
    });
  }

  #startSpeech(format: AudioFormat): void {
    const oldSpeech = this.#speech;
    this.#speech = undefined;
    if (oldSpeech) void Promise.resolve(oldSpeech.close()).catch(() => {});
    const rate = format.sampleRate;
    if (this.#o.speech && format.encoding === 'pcm16') {
      const speech = speechDetectorForRate(this.#o.speech, rate, this.#o.callId);
      speech.on('speechStart', (e) => this.#onSpeechStart(e.atMs));
      speech.on('speechEnd', (e) => {
        this.#latency.speechEnded(e.detectedAtMs - e.atMs);
        this.#notify({ type: 'silence', atMs: e.atMs, durationMs: Math.max(0, e.detectedAtMs - e.atMs) });
      });
      this.#speech = speech;
    }
  }

  #onTick(_tick: ClockTick): void {
    if (this.#closed || this.#o.leg.closed) return;
    this.#gaps?.tick(this.#now(), this.#o.leg.format);
    const ack = this.#o.leg.playoutAck;
    const wanted = ack ? ack.framesWanted() : 1;
    for (let i = 0; i < wanted; i++) {
      // Marks, utterance ends and "drained" that taking this frame reaches are told once the frame has gone out.
      this.#taking = true;
      let frame: ReturnType<PlayoutBuffer['take']>;
      try {
        // A leg that sends no silence takes only agent audio (take() still fires marks waiting at the head).
        frame = ack && !ack.sendsSilence ? this.#playout.take() : this.#playout.takeOrSilence();
        if (frame) {
          if (frame.silence) this.stats.silenceFramesOut += 1;
          else this.#latency.agentFrameSent();
          this.stats.framesOut += 1;
          // The frame is also the leg's OutboundFrameInfo (silence, utteranceId).
          this.#o.leg.sendFrame(frame.data, frame);
        }
      } finally {
        this.#taking = false;
      }
      const reached = this.#reached;
      this.#reached = undefined;
      if (reached) for (const fn of reached) fn();
      if (!frame || frame.silence) return;
    }
  }

  #callerAudio(frame: Buffer, format: AudioFormat): void {
    if (this.#closed) return;
    this.stats.framesIn += 1;
    if (format.sampleRate !== this.#playout.format.sampleRate) this.#configure(format);
    if (this.#speech && format.encoding === 'pcm16') this.#speech.push(pcmSamples(frame));
    const data = this.#muted ? Buffer.alloc(frame.length) : frame;
    // The converter's scratch output is cut into frames of their own at once (the framer copies it).
    this.#sendToAgent(this.#toAgent.pushTransient(data));
  }

  /**
   * Caller audio in the agent's format, to the agent in whole 20 ms frames (held while the agent connects). Each
   * frame the agent gets is a buffer of its own, never reused by the bridge: it may keep it (queue it, send it).
   */
  #sendToAgent(converted: Buffer): void {
    for (const chunk of this.#uplink.push(converted)) {
      if (this.#agentReady) this.#o.agent.sendAudio(chunk);
      else this.#holdForAgent(chunk);
    }
  }

  #holdForAgent(chunk: Buffer): void {
    this.stats.preStartDroppedFrames += this.#preStart.hold(chunk);
  }

  #onSpeechStart(atMs: number): void {
    this.#notify({ type: 'speaking', atMs });
    if (!this.#o.bargeIn) return;
    const current = this.#playout.current();
    // Where Asterisk paces (chan_websocket bulk send), an utterance may be all sent and still playing there.
    const stillPlaying = (this.#o.leg.playoutAck?.unplayedMs() ?? 0) > 0;
    if (current ? current.protected : !stillPlaying) return;
    this.interrupt('barge_in');
  }

  /** Runs `fn(true)` once the audio sent so far was played (at once for legs that do not acknowledge playout). */
  #whenPlayed(fn: (played: boolean) => void): void {
    if (this.#taking) {
      this.#reached ??= [];
      this.#reached.push(() => this.#whenPlayed(fn));
      return;
    }
    const ack = this.#o.leg.playoutAck;
    if (ack) ack.afterPlayed(fn);
    else fn(true);
  }

  #notify(notice: CallNotice): void {
    if (this.#closed && notice.type !== 'interruption') return;
    try {
      this.#o.agent.notify(notice);
    } catch (err) {
      this.#log.warn({ err, notice: notice.type }, 'agent notify failed');
    }
  }
}
