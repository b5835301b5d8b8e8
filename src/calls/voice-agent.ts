import type { AudioFormat } from '../audio/format.js';
import type { ClearResult } from '../audio/playout-buffer.js';
import type { AmdSettings } from '../config/amd-config.js';
import type { Route } from '../config/routes.js';
import { TRANSFER_FAILURE_REASONS, TRANSFER_STATES } from '../protocols/agent/events.js';
import type { AppError } from '../errors/app-error.js';
import type { AmdResult } from './amd/amd-result.js';
import type { CloseReason, HangupInitiator } from './close-reason.js';

/** The audio an agent asked for in its `invite` (the call's agent speaks it). */
export interface InvitedAudio {
  readonly sampleRate: 8000 | 16000 | 24000;
  /** Length of the callee-audio frames it wants (20 to 100 ms in steps of 20). */
  readonly frameMs: 20 | 40 | 60 | 80 | 100;
}

/** What an agent knows about the call it serves. */
export interface CallInfo {
  readonly callId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly caller: string | undefined;
  readonly callee: string | undefined;
  readonly route: Route;
  /** Format of the Asterisk media leg (PCM16 at 8 or 16 kHz). */
  readonly legFormat: AudioFormat;
  readonly channelId: string | undefined;
  readonly startedAt: Date;
  /** Free-form values for the agent (Stasis args, channel variables, route parameters). */
  readonly customParameters: Readonly<Record<string, string>>;
  /** Outbound calls with answering-machine detection: its settings, and Asterisk's verdict in `asterisk` mode. */
  readonly amd?: { readonly settings: AmdSettings; readonly asterisk?: AmdResult | undefined } | undefined;
  /** The answering-machine verdict, known before the agent starts (what `start` gets; undefined without AMD). */
  readonly amdResult?: AmdResult | undefined;
  /**
   * On a media worker, for a call an agent placed with `invite`: the audio it asked for (its socket comes from the
   * primary). Undefined otherwise; in the process the agent connected to, invited calls are known by their id.
   */
  readonly invited?: InvitedAudio | undefined;
}

/** Something that happened on the call, told to the agent. */
export type CallNotice =
  | { type: 'answer' }
  | { type: 'dtmf'; digit: string; durationMs?: number }
  | { type: 'speaking'; atMs: number }
  /** The caller stopped speaking at `atMs`; `durationMs` of silence had passed when it was decided. */
  | { type: 'silence'; atMs: number; durationMs: number }
  | { type: 'utteranceStart'; utteranceId: string }
  | { type: 'utteranceEnd'; utteranceId: string; playedMs: number }
  /** The caller spoke over the agent: playout was flushed; `playedMs` is what the caller heard of the utterance. */
  | { type: 'interruption'; utteranceId: string; playedMs: number; totalMs: number }
  /** A mark the agent queued has been reached in playout (all audio before it was sent to the caller). */
  | { type: 'mark'; name: string }
  /** Everything the agent sent so far has been played. */
  | { type: 'playoutDrained' }
  /** A mark that was dropped by a flush (it will not be reached). */
  | { type: 'markCleared'; name: string }
  | { type: 'error'; code: string; message: string; command?: string }
  /** A step of a warm transfer (see `warm-transfer.ts`); `failed` says why, with Asterisk's Q.850 cause if any. */
  | {
      type: 'transfer';
      transferId: string;
      state: WarmTransferState;
      target: string;
      reason?: WarmTransferFailure;
      message?: string;
      cause?: number;
      causeText?: string;
    };

/** The steps of a warm transfer, in order (the agent protocol's `transfer` event names them the same). */
export const WARM_TRANSFER_STATES = TRANSFER_STATES;
export type WarmTransferState = (typeof WARM_TRANSFER_STATES)[number];

/** Why a warm transfer failed (the caller is back with the agent, unless the caller is gone). */
export const WARM_TRANSFER_FAILURES = TRANSFER_FAILURE_REASONS;
export type WarmTransferFailure = (typeof WARM_TRANSFER_FAILURES)[number];

/** A warm transfer an agent or the control plane asks for. */
export interface WarmTransferRequest {
  readonly target: TransferTarget;
  /** What the person is told about the caller, spoken by the agent (agents with `speakToTransferTarget`). */
  readonly summary?: string | undefined;
  /** Media played to the person instead (`sound:…`, `recording:…`); the route's `transfer.warm.prompt` if absent. */
  readonly prompt?: readonly string[] | undefined;
  /** Why the caller is transferred, for the record. */
  readonly reason?: string | undefined;
}

/** Something the agent asks of the call. */
export type AgentAction =
  | { type: 'hangup'; reason?: string }
  | { type: 'transfer'; target: TransferTarget }
  /** Resolves when the caller is bridged with the person; rejects (TRANSFER_* codes) when the caller is back. */
  | { type: 'warmTransfer'; transfer: WarmTransferRequest }
  | { type: 'play'; media: string; playId?: string }
  | { type: 'dtmf'; digits: string }
  | { type: 'mute' }
  | { type: 'unmute' };

export type TransferTarget = { context: string; extension: string; priority?: number } | { endpoint: string };

/** The call side an agent writes to. Declared here, implemented by the media bridge. */
export interface AgentOutput {
  /** Queues agent audio (in the agent's `outputFormat`) for playout at real time. */
  audio(data: Buffer, options?: { utteranceId?: string; protected?: boolean }): void;
  endUtterance(utteranceId: string): void;
  /** Queues a mark; a `mark` notice comes back when the audio before it has been played. */
  mark(name: string): void;
  /** Flushes queued agent audio at the agent's request. */
  interrupt(): ClearResult;
  /** Milliseconds of an utterance the caller has been sent so far. */
  playedMs(utteranceId: string): number;
  /** Carries out a call action; rejects with an AppError when it cannot be done. */
  act(action: AgentAction): Promise<void>;
  /** The agent failed for good (unreachable, disconnected past its retry policy, auth rejected). */
  fail(error: AppError): void;
}

/** What the control plane and a warm transfer use of a call's agent (local, or on a media worker). */
export type AgentControl = Pick<VoiceAgent, 'kind' | 'notify' | 'sendMessage' | 'speakToTransferTarget'>;

/** A voice agent serving one call. Every agent kind implements it. */
export interface VoiceAgent {
  readonly kind: string;
  /** Format the agent takes caller audio in. */
  readonly inputFormat: AudioFormat;
  /** Format of the audio the agent produces. */
  readonly outputFormat: AudioFormat;
  /** Connects and handshakes; resolves when the agent is ready for audio, rejects with an AppError if it can't be. */
  start(call: CallInfo, output: AgentOutput, signal: AbortSignal): Promise<void>;
  /**
   * Caller audio in `inputFormat`, in whole 20 ms frames as it arrives (never a partial frame). Each chunk is a
   * buffer of the agent's own, never reused by the bridge: the agent may keep it, queue it or send it as it is.
   */
  sendAudio(chunk: Buffer): void;
  notify(notice: CallNotice): void;
  /**
   * Hands the agent a text message from the control plane (a supervisor instruction, a user message). Agents that
   * cannot take text leave it out, and the control command fails with ACTION_UNAVAILABLE.
   */
  sendMessage?(text: string, options: { interrupt: boolean }): void;
  /**
   * Speaks `text` to the person a warm transfer reached (the agent's audio goes to them alone at that moment);
   * resolves once it has been played. Agents without it need a recorded prompt for a warm transfer's summary.
   */
  speakToTransferTarget?(text: string, signal: AbortSignal): Promise<void>;
  /** Ends the agent session; idempotent; always resolves. `cause`: the Q.850 cause, when Asterisk reported one. */
  close(reason: CloseReason, initiator: HangupInitiator, cause?: number): Promise<void>;
}

/** Builds the agent for a call from its route. */
export type AgentFactory = (call: CallInfo) => VoiceAgent;
