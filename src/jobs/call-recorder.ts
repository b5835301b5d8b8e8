import type { CallLifecycleEvent, CallSession, CallState as SessionState } from '../calls/call-session.js';
import type { CallRegistry } from '../calls/call-registry.js';
import type { StasisController } from '../calls/stasis-controller.js';
import type { Logger } from '../observability/logger.js';
import type { CallEventSink } from './call-event-types.js';
import type { CallOwnership } from './call-ownership.js';

/** Close reasons that mean the call failed rather than ended normally. */
const FAILED_REASONS = new Set(['agent_failed', 'ari_failure', 'no_route', 'error', 'orphaned']);

const STATE_OF: Partial<Record<SessionState, 'answered' | 'active' | 'ending'>> = {
  connecting: 'answered',
  active: 'active',
  ending: 'ending',
};

export interface CallRecorderOptions {
  registry: CallRegistry;
  sink: CallEventSink;
  ownership: CallOwnership;
  instanceId: string;
  stasis?: StasisController | undefined;
  logger: Logger;
}

/**
 * Records every call of this instance: claims its ownership in Redis while it lives (so control commands reach
 * this instance) and turns the session's lifecycle into the typed call events that are stored in order and sent to
 * webhooks. Outbound calls are recorded from the originate on, so busy and unanswered calls have a record too.
 */
export class CallRecorder {
  readonly #o: CallRecorderOptions;
  readonly #created = new Set<string>();
  readonly #onAdded = (session: CallSession) => this.#track(session);
  readonly #onOriginated = (o: { callId: string; channelId: string; endpoint: string; route: string }) => {
    this.#created.add(o.callId);
    this.#o.sink.emit(o.callId, 'call.created', {
      direction: 'outbound',
      to: o.endpoint,
      route: o.route,
      callerChannelId: o.channelId,
      ownerInstance: this.#o.instanceId,
      state: 'dialing',
    });
  };
  readonly #onOriginateFailed = (o: {
    callId: string;
    error: { code: string; message: string; details?: Record<string, unknown> | undefined };
  }) => {
    this.#created.delete(o.callId);
    const cause = typeof o.error.details?.cause === 'number' ? o.error.details.cause : null;
    const causeTxt = typeof o.error.details?.causeTxt === 'string' ? o.error.details.causeTxt : null;
    this.#o.sink.emit(o.callId, 'call.ended', {
      state: 'failed',
      closeReason: o.error.code.toLowerCase(),
      hangupCause: cause,
      hangupCauseTxt: causeTxt,
      initiator: 'callee',
    });
  };

  constructor(options: CallRecorderOptions) {
    this.#o = options;
  }

  start(): void {
    this.#o.registry.on('added', this.#onAdded);
    this.#o.stasis?.on('originated', this.#onOriginated);
    this.#o.stasis?.on('originateFailed', this.#onOriginateFailed);
  }

  /** Stops recording new calls (calls already tracked keep their listeners until they end). Idempotent. */
  close(): Promise<void> {
    this.#o.registry.off('added', this.#onAdded);
    this.#o.stasis?.off('originated', this.#onOriginated);
    this.#o.stasis?.off('originateFailed', this.#onOriginateFailed);
    return Promise.resolve();
  }

  #track(session: CallSession): void {
    const { sink, ownership } = this.#o;
    const id = session.id;
    const info = session.info;
    const log = session.log;
    ownership.claim(id).catch((err: unknown) => log.warn({ err }, 'could not claim call ownership in Redis'));
    const common = {
      route: info.route.name,
      agentKind: info.route.agent.kind,
      audiosocketUuid: info.customParameters.audiosocketUuid ?? null,
    };
    if (this.#created.delete(id)) sink.emit(id, 'call.answered', {});
    else {
      sink.emit(id, 'call.created', {
        direction: info.direction,
        from: info.caller ?? null,
        to: info.callee ?? null,
        callerChannelId: info.channelId ?? null,
        ownerInstance: this.#o.instanceId,
        state: 'answered',
        ...common,
      });
    }
    let media: { mediaChannelId?: string; bridgeId?: string; audiosocketUuid?: string } = {};
    session.on('state', (state) => {
      const mapped = STATE_OF[state];
      if (mapped) sink.emit(id, 'call.state_changed', { state: mapped });
    });
    session.on('event', (e: CallLifecycleEvent) => {
      const d = e.data;
      switch (e.type) {
        case 'media.requested':
          media = {
            mediaChannelId: String(d.mediaChannel ?? ''),
            bridgeId: String(d.bridge ?? ''),
            audiosocketUuid: String(d.uuid ?? ''),
          };
          return;
        case 'media.connected':
          sink.emit(id, 'call.media_connected', { ...media });
          return;
        case 'agent.connected':
          sink.emit(id, 'call.agent_connected', { agentKind: String(d.kind ?? info.route.agent.kind) });
          return;
        case 'agent.failed':
          sink.emit(id, 'call.error', { code: String(d.code ?? 'AGENT_FAILED'), message: String(d.message ?? '') });
          return;
        case 'ari.failed':
          sink.emit(id, 'call.error', { code: 'ARI_FAILURE', message: String(d.message ?? '') });
          return;
        case 'dtmf':
          sink.emit(id, 'call.dtmf', { digit: String(d.digit) });
          return;
        case 'media.gap':
          sink.emit(id, 'call.media_gap', {
            startedAt: String(d.startedAt),
            durationMs: Number(d.durationMs),
            filledFrames: Number(d.filledFrames),
            open: d.open === true,
            leading: d.leading === true,
          });
          return;
        case 'transcript':
          sink.emit(id, 'call.transcript', {
            role: d.role === 'assistant' || d.role === 'agent' ? 'agent' : 'caller',
            text: String(d.text ?? ''),
            itemId: typeof d.itemId === 'string' ? d.itemId : null,
          });
          return;
        case 'recording.started':
          sink.emit(id, 'call.recording_started', { name: String(d.name), format: String(d.format ?? 'wav') });
          return;
        case 'recording.finished':
          sink.emit(id, 'call.recording_finished', { name: String(d.name), status: 'done' });
          return;
        case 'action':
          if (d.type === 'transfer') sink.emit(id, 'call.transferred', { target: JSON.stringify(d.target) });
          return;
        default:
          return;
      }
    });
    session.once('ended', (summary) => {
      sink.emit(id, 'call.ended', {
        state: FAILED_REASONS.has(summary.reason) ? 'failed' : 'ended',
        closeReason: summary.reason,
        initiator: summary.initiator,
        hangupCause: summary.hangupCause ?? null,
        hangupCauseTxt: summary.hangupCauseText ?? null,
        ...(summary.latency ? { latency: summary.latency } : {}),
      });
      ownership.release(id).catch((err: unknown) => log.warn({ err }, 'could not release call ownership'));
    });
  }
}
