import { type AudioFormat, pcmBuffer, pcmSamples, SAMPLE_RATES, type SampleRate } from '../../audio/format.js';
import { FormatConverter } from '../../audio/format-converter.js';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import {
  decodePipecatFrame,
  encodePipecatFrame,
  type PipecatFrame,
  parseBotMessage,
  type RtviClientMessage,
  rtviClientMessage,
  rtviClientReady,
  rtviDisconnectBot,
  rtviDtmf,
  rtviSendText,
} from '../../protocols/pipecat/index.js';
import type { AgentSocket, AgentSocketClose } from '../../transports/agent-ws/agent-socket.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { AgentOutput, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';
import { PipecatTranscripts } from './pipecat-transcripts.js';
import type { TranscriptSink } from './realtime-transcripts.js';

/** Rates a Pipecat route may negotiate for caller audio (and the format bot audio is brought to). */
export type PipecatSampleRate = 8000 | 16000 | 24000;

export interface PipecatAgentOptions {
  /**
   * Yields the open WebSocket to the bot: dialled by the adapter (the bot runs a WebSocket server transport), or,
   * later, one the bot opened. The dialect does not care which side opened it.
   */
  open: (signal: AbortSignal) => Promise<AgentSocket>;
  sampleRate: PipecatSampleRate;
  transcripts: TranscriptSink;
  logger: Logger;
  /** Package version told to the bot in `client-ready`. */
  version?: string;
}

/** After a barge-in, bot audio is dropped until the bot confirms the interruption, or at most this long. */
const INTERRUPTION_CONFIRM_MAX_MS = 2000;
/** Bad frames are logged the first time and then every this many. */
const BAD_FRAME_LOG_EVERY = 100;

/**
 * A Pipecat bot over a WebSocket carrying Pipecat's protobuf frames (`ProtobufFrameSerializer`), one frame per
 * binary message. Caller audio goes out as `audio` frames at the route's rate (mono, `sample_rate` and
 * `num_channels` set); bot audio may come at any rate the resampler takes, mono or stereo, in chunks of any size,
 * and is brought to that rate, then paced by the media clock like any agent's. The bot's `interruption` frame
 * flushes playout. On barge-in the adapter sends an `interruption` frame (the bot's pipeline stops its answer) and
 * an RTVI `client-message` `interruption` with the milliseconds the caller heard; bot audio is dropped until the
 * bot's own `interruption` frame confirms it. Keypad digits go as RTVI `dtmf`, the end of the call as a
 * `client-message` `hangup` and RTVI `disconnect-bot`. Transcripts are stored as for Realtime agents.
 */
export class PipecatAgent implements VoiceAgent {
  readonly kind = 'pipecat';
  readonly inputFormat: AudioFormat;
  readonly outputFormat: AudioFormat;
  readonly #o: PipecatAgentOptions;
  readonly #log: Logger;
  #output!: AgentOutput;
  #socket: AgentSocket | undefined;
  #transcripts: PipecatTranscripts | undefined;
  #closed = false;
  readonly #abort = new AbortController();
  /** Bot audio between two flushes is one utterance for playout accounting. */
  #utterance = 1;
  /** Utterances flushed at the bot's own request (no `interruption` frame goes back for them). */
  readonly #flushedByBot = new Set<string>();
  /** Set at a barge-in: bot audio is dropped until the bot confirms (its `interruption` frame) or this time passes. */
  #dropAudioUntil: number | undefined;
  /** Converts bot audio at another rate to `outputFormat`; rebuilt when the bot's rate changes. */
  #fromBot: FormatConverter | undefined;
  #messageIds = 0;
  #badFrames = 0;

  constructor(options: PipecatAgentOptions) {
    this.#o = options;
    this.#log = options.logger;
    const format: AudioFormat = { encoding: 'pcm16', sampleRate: options.sampleRate };
    this.inputFormat = format;
    this.outputFormat = format;
  }

  /** Binary messages from the bot that were not usable frames (bad protobuf, unknown kinds, bad audio). */
  get badFrames(): number {
    return this.#badFrames;
  }

  async start(call: CallInfo, output: AgentOutput, signal: AbortSignal): Promise<void> {
    this.#output = output;
    this.#transcripts = new PipecatTranscripts(this.#o.transcripts, call.callId, call.startedAt);
    const socket = await this.#o.open(AbortSignal.any([signal, this.#abort.signal]));
    if (this.#closed) {
      await socket.close(1000, 'call ended');
      return;
    }
    this.#socket = socket;
    socket.on('binary', (data) => this.#onBinary(data));
    socket.on('text', (text) => this.#badFrame('text_message', `a text message (${text.length} characters)`));
    socket.on('close', (c) => this.#onClose(socket, c));
    this.#sendMessage(
      rtviClientReady(this.#nextId(), {
        library: 'asterisk-voice-adapter',
        ...(this.#o.version !== undefined ? { library_version: this.#o.version } : {}),
        platform: 'asterisk',
        platform_details: {
          callId: call.callId,
          direction: call.direction,
          caller: call.caller ?? '',
          callee: call.callee ?? '',
          route: call.route.name,
          ...(call.channelId !== undefined ? { channelId: call.channelId } : {}),
          customParameters: call.customParameters,
          audio: { sampleRate: this.inputFormat.sampleRate, numChannels: 1 },
        },
      }),
    );
  }

  sendAudio(chunk: Buffer): void {
    if (this.#closed) return;
    this.#socket?.sendBinary(
      encodePipecatFrame({ kind: 'audio', audio: chunk, sampleRate: this.inputFormat.sampleRate, numChannels: 1 }),
    );
  }

  notify(notice: CallNotice): void {
    if (this.#closed || !this.#socket) return;
    switch (notice.type) {
      case 'dtmf':
        this.#sendMessage(rtviDtmf(this.#nextId(), notice.digit));
        return;
      case 'interruption': {
        this.#transcripts?.interrupted(notice.playedMs, notice.totalMs);
        const byBot = this.#flushedByBot.delete(notice.utteranceId);
        if (!byBot) {
          // Our barge-in: stop the bot's answer; what it already sent of it is dropped until it confirms.
          this.#sendFrame({ kind: 'interruption' });
          this.#dropAudioUntil = performance.now() + INTERRUPTION_CONFIRM_MAX_MS;
          this.#nextUtterance();
        }
        this.#sendMessage(
          rtviClientMessage(this.#nextId(), 'interruption', {
            initiator: byBot ? 'bot' : 'caller',
            playedMs: Math.round(notice.playedMs),
            totalMs: Math.round(notice.totalMs),
          }),
        );
        return;
      }
      case 'playoutDrained':
        this.#transcripts?.played();
        return;
      default:
        return;
    }
  }

  sendMessage(text: string, options: { interrupt: boolean }): void {
    if (this.#closed) return;
    this.#sendMessage(rtviSendText(this.#nextId(), text, options.interrupt));
  }

  async close(reason: CloseReason, initiator: HangupInitiator): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.#transcripts?.ended();
    const socket = this.#socket;
    if (!socket) return;
    if (socket.isOpen) {
      this.#sendMessage(rtviClientMessage(this.#nextId(), 'hangup', { reason, initiator }), true);
      this.#sendMessage(rtviDisconnectBot(this.#nextId()), true);
    }
    await socket.close(1000, 'call ended');
  }

  #onBinary(data: Buffer): void {
    if (this.#closed) return;
    const decoded = decodePipecatFrame(data);
    if (!decoded.ok) {
      this.#badFrame(decoded.error.code, decoded.error.message);
      return;
    }
    const frame = decoded.frame;
    switch (frame.kind) {
      case 'audio':
        this.#botAudio(frame);
        return;
      case 'interruption':
        if (this.#dropAudioUntil !== undefined) {
          // The bot confirms the barge-in (playout was flushed then): its audio from now on is a new answer.
          this.#dropAudioUntil = undefined;
          return;
        }
        this.#flushedByBot.add(this.#utteranceId());
        this.#output.interrupt();
        this.#nextUtterance();
        return;
      case 'text':
        this.#transcripts?.agent(frame.text, 'text-frame');
        return;
      case 'transcription':
        this.#transcripts?.caller(frame.text, 'transcription-frame');
        return;
      case 'message':
        this.#botMessage(frame.data);
        return;
    }
  }

  #botAudio(frame: Extract<PipecatFrame, { kind: 'audio' }>): void {
    const { audio, sampleRate, numChannels } = frame;
    if (!SAMPLE_RATES.includes(sampleRate as SampleRate)) {
      this.#badFrame('bad_audio', `audio at ${sampleRate} Hz (supported: ${SAMPLE_RATES.join(', ')})`);
      return;
    }
    if (numChannels !== 1 && numChannels !== 2) {
      this.#badFrame('bad_audio', `audio with ${numChannels} channels (1 or 2 are taken)`);
      return;
    }
    if (audio.length % (2 * numChannels) !== 0) {
      this.#badFrame(
        'bad_audio',
        `${audio.length} audio bytes are not whole 16-bit samples of ${numChannels} channel(s)`,
      );
      return;
    }
    if (audio.length === 0) return;
    if (this.#dropAudioUntil !== undefined) {
      if (performance.now() < this.#dropAudioUntil) return;
      this.#log.warn('bot did not confirm the interruption; its audio plays again');
      this.#dropAudioUntil = undefined;
    }
    this.#transcripts?.audio();
    const mono = numChannels === 2 ? downmix(audio) : audio;
    this.#output.audio(this.#toOutputRate(mono, sampleRate as SampleRate), { utteranceId: this.#utteranceId() });
  }

  #toOutputRate(mono: Buffer, rate: SampleRate): Buffer {
    if (rate === this.outputFormat.sampleRate) return mono;
    if (this.#fromBot?.from.sampleRate !== rate) {
      this.#log.info({ botRate: rate, rate: this.outputFormat.sampleRate }, 'bot audio resampled to the route rate');
      this.#fromBot = new FormatConverter({ encoding: 'pcm16', sampleRate: rate }, this.outputFormat);
    }
    return this.#fromBot.push(mono);
  }

  #botMessage(data: string): void {
    const parsed = parseBotMessage(data);
    if (!parsed.ok) {
      this.#badFrame('bad_message', parsed.message);
      return;
    }
    const m = parsed.message;
    switch (m.kind) {
      case 'userTranscript':
        if (m.final) this.#transcripts?.caller(m.text, 'user-transcription');
        return;
      case 'botText':
        this.#transcripts?.agent(m.text, m.source);
        return;
      case 'error':
        this.#log.warn({ botError: m.message, fatal: m.fatal }, 'Pipecat bot reported an error');
        return;
      case 'rtvi':
        if (m.type === 'bot-started-speaking' || m.type === 'bot-stopped-speaking')
          this.#transcripts?.botSpeaking(m.type === 'bot-started-speaking');
        this.#log.debug({ rtvi: m.type }, 'Pipecat bot message');
        return;
      case 'other':
        this.#log.debug('Pipecat bot sent a transport message that is not RTVI');
        return;
    }
  }

  /** A message the adapter could not use: logged (first, then every 100th) and told to the bot; the call goes on. */
  #badFrame(code: string, message: string): void {
    this.#badFrames += 1;
    if (this.#badFrames === 1 || this.#badFrames % BAD_FRAME_LOG_EVERY === 0)
      this.#log.warn(
        { code, detail: message, badFrames: this.#badFrames },
        'Pipecat bot sent a frame that was ignored',
      );
    this.#sendMessage(rtviClientMessage(this.#nextId(), 'error', { code, message }));
  }

  #onClose(socket: AgentSocket, info: AgentSocketClose): void {
    if (socket !== this.#socket || this.#closed || info.initiator === 'adapter') return;
    this.#log.warn({ code: info.code, reason: info.reason }, 'Pipecat bot closed the connection');
    this.#output.fail(
      new AppError('Pipecat bot closed the connection', {
        code: 'AGENT_DISCONNECTED',
        category: 'connectivity',
        retryable: true,
      }),
    );
  }

  #sendFrame(frame: PipecatFrame): void {
    this.#socket?.sendBinaryControl(encodePipecatFrame(frame));
  }

  #sendMessage(message: RtviClientMessage, evenWhenClosed = false): void {
    if (this.#closed && !evenWhenClosed) return;
    this.#sendFrame({ kind: 'message', data: JSON.stringify(message) });
  }

  #utteranceId(): string {
    return `pipecat-${this.#utterance}`;
  }

  #nextUtterance(): void {
    this.#utterance += 1;
    this.#fromBot?.reset();
  }

  #nextId(): string {
    this.#messageIds += 1;
    return `ava-${this.#messageIds}`;
  }
}

/** Interleaved 16-bit stereo to mono (the mean of both channels). */
function downmix(stereo: Buffer): Buffer {
  const s = pcmSamples(stereo);
  const out = new Int16Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (s[2 * i]! + s[2 * i + 1]!) >> 1;
  return pcmBuffer(out);
}
