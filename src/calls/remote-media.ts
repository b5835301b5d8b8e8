import type { AudioFormat } from '../audio/format.js';
import type { TypedEmitter } from '../lib/typed-emitter.js';
import type { CallTelephony } from './call-control.js';
import type { LifecycleEventType } from './call-lifecycle.js';
import { silenceWatchdog, type WatchedCall } from './call-media-watch.js';
import type { CloseReason, HangupInitiator } from './close-reason.js';
import type { MediaLegCloseReason } from './media-leg.js';
import type { CallLatency } from './turn-latency.js';
import type { AgentAction, AgentControl } from './voice-agent.js';

/** What a call's media plane held in another process (a media worker) reports to the call's state machine. */
export interface RemoteMediaEvents {
  [key: string]: unknown[];
  /** The media leg connected; the agent is being started. */
  connected: [format: AudioFormat, agentKind: string];
  /** The agent started. */
  active: [agentKind: string];
  /** The agent could not start or failed; `code` and `message` when there is something to record. */
  failed: [reason: 'agent_failed' | 'agent_rejected' | 'worker_failed', code?: string, message?: string];
  /** The worker could not set up the media leg (the call fails as an Asterisk set-up failure would). */
  mediaFailed: [code: string, message: string];
  /** The media leg closed on its own. */
  legClosed: [reason: MediaLegCloseReason];
  /** The caller has sent no audio on the wire for `silentMs` (0: audio resumed). */
  uplinkSilence: [silentMs: number];
  /** A lifecycle event to record on the call. */
  event: [type: LifecycleEventType, data: unknown, at: Date];
  /** The agent asks for an action; `done` settles with its outcome. */
  action: [action: AgentAction, done: (err?: unknown) => void];
  /** The media plane asks for the call to end (answering-machine detection: `amd_machine`, `amd_message_left`). */
  end: [reason: 'amd_machine' | 'amd_message_left'];
}

/**
 * The media plane of a call that lives in a media worker: the leg, the bridge and the agent are there, the call's
 * state machine (`CallSession`) is here and the only one that decides. Commands go to the worker; `close` ends the
 * media and resolves (never rejects) once the worker released it or is gone.
 */
export interface RemoteMedia extends Pick<TypedEmitter<RemoteMediaEvents>, 'on' | 'off'> {
  /** Which worker holds the media (for logs, records and `ava calls`). */
  readonly worker: number;
  /** The call's agent on the worker, as the control plane and a warm transfer use it (once its media connected). */
  readonly agent?: AgentControl | undefined;
  setMuted(muted: boolean): void;
  dtmf(digit: string, durationMs?: number): void;
  /** `workerLost`: the worker died before it confirmed (the media ended with it). */
  close(
    reason: CloseReason,
    initiator: HangupInitiator,
    hangupLeg: boolean,
    cause?: number,
  ): Promise<{ latency?: CallLatency; workerLost?: boolean }>;
}

/** How a call's remote media ended: its latency, and the call's close reason. */
export interface RemoteMediaEnd {
  latency?: CallLatency | undefined;
  reason: CloseReason;
}

/**
 * Reasons Asterisk reports when a call's media connection drops. A worker that dies closes its AudioSocket
 * connections at once; Asterisk may report the media channel gone before the primary sees the worker exit. When the
 * worker is then found dead, the call ended because of it.
 */
const MEDIA_SIDE_REASONS: ReadonlySet<CloseReason> = new Set(['media_closed', 'media_left_bridge', 'media_timeout']);

/**
 * Ends a call's remote media (the AudioSocket hangup is sent unless the caller or the media itself ended it);
 * `cause`: the hang-up cause Asterisk gave, for the agent.
 */
export async function closeRemoteMedia(
  remote: RemoteMedia,
  reason: CloseReason,
  initiator: HangupInitiator,
  cause?: number,
): Promise<RemoteMediaEnd> {
  const r = await remote.close(reason, initiator, reason !== 'caller_hangup' && reason !== 'media_closed', cause);
  return { latency: r.latency, reason: r.workerLost && MEDIA_SIDE_REASONS.has(reason) ? 'worker_failed' : reason };
}

/** What `followRemoteMedia` needs of the call's session. */
export interface RemoteMediaOwner extends WatchedCall {
  readonly closing: boolean;
  act(action: AgentAction): Promise<void>;
}

/** The dead-leg watchdog's settings of a call (its session's options): off unless gap filling is on. */
export interface RemoteSilenceWatch {
  readonly gapFillAfterMs?: number | undefined;
  readonly silence?: { readonly ariCheckAfterMs: number; readonly directLimitMs: number } | undefined;
  readonly telephony?: CallTelephony | undefined;
}

/**
 * Lets a call's session follow its remote media as it follows a local leg: connected → `connecting`, agent started
 * → `active`, failures and the leg closing end the call (the session decides the reason), the worker's records are
 * the call's records, and agent actions run in the session (their outcome goes back to the worker). The dead-leg
 * watchdog runs here, fed by the worker's reports of caller silence on the wire, and ends the call as it would a
 * local one (`media_timeout`; ARI's liveness answer for Stasis calls).
 */
export function followRemoteMedia(
  media: RemoteMedia,
  call: RemoteMediaOwner,
  setState: (state: 'connecting' | 'active') => void,
  onLegClose: (reason: MediaLegCloseReason) => void,
  watch: RemoteSilenceWatch,
): void {
  media.on('connected', (format, agent) => {
    if (call.closing) return;
    setState('connecting');
    call.record('media.connected', { format, agent, worker: media.worker });
  });
  media.on('active', (kind) => {
    if (call.closing) return;
    setState('active');
    call.record('agent.connected', { kind });
  });
  media.on('failed', (reason, code, message) => {
    if (code && !call.closing) call.record('agent.failed', { code, message: message ?? code });
    void call.close(reason);
  });
  media.on('mediaFailed', (code, message) => {
    if (call.closing) return;
    call.log.error({ code, message }, 'setting up the call media on its media worker failed');
    call.record('ari.failed', { message });
    void call.close('ari_failure');
  });
  media.on('legClosed', onLegClose);
  // The worker's records (media gaps) are the call's, recorded as they arrive.
  const record = call.record.bind(call) as (type: LifecycleEventType, data: unknown) => void;
  media.on('event', (type, data) => record(type, data));
  media.on('action', (action, done) => call.act(action).then(() => done(), done));
  media.on('end', (reason) => void call.close(reason));
  if (watch.silence && watch.gapFillAfterMs !== undefined) {
    const watchdog = silenceWatchdog(call, watch.silence, watch.telephony);
    media.on('uplinkSilence', (silentMs) => {
      if (!call.closing) watchdog.tick(silentMs);
    });
  }
}
