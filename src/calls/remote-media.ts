import type { AudioFormat } from '../audio/format.js';
import type { TypedEmitter } from '../lib/typed-emitter.js';
import type { LifecycleEventType } from './call-lifecycle.js';
import type { CloseReason, HangupInitiator } from './close-reason.js';
import type { MediaLegCloseReason } from './media-leg.js';
import type { CallLatency } from './turn-latency.js';
import type { AgentAction } from './voice-agent.js';

/** What a call's media plane held in another process (a media worker) reports to the call's state machine. */
export interface RemoteMediaEvents {
  [key: string]: unknown[];
  /** The media leg connected; the agent is being started. */
  connected: [format: AudioFormat, agentKind: string];
  /** The agent started. */
  active: [agentKind: string];
  /** The agent could not start or failed; `code` and `message` when there is something to record. */
  failed: [reason: 'agent_failed' | 'agent_rejected' | 'worker_failed', code?: string, message?: string];
  /** The media leg closed on its own. */
  legClosed: [reason: MediaLegCloseReason];
  /** A lifecycle event to record on the call. */
  event: [type: LifecycleEventType, data: unknown, at: Date];
  /** The agent asks for an action; `done` settles with its outcome. */
  action: [action: AgentAction, done: (err?: unknown) => void];
}

/**
 * The media plane of a call that lives in a media worker: the leg, the bridge and the agent are there, the call's
 * state machine (`CallSession`) is here and the only one that decides. Commands go to the worker; `close` ends the
 * media and resolves (never rejects) once the worker released it or is gone.
 */
export interface RemoteMedia extends Pick<TypedEmitter<RemoteMediaEvents>, 'on' | 'off'> {
  /** Which worker holds the media (for logs, records and `ava calls`). */
  readonly worker: number;
  setMuted(muted: boolean): void;
  dtmf(digit: string, durationMs?: number): void;
  close(reason: CloseReason, initiator: HangupInitiator, hangupLeg: boolean): Promise<{ latency?: CallLatency }>;
}
