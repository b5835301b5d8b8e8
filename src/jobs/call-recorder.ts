import { type LifecycleEvent, PUBLIC_EVENT_NAME } from '../calls/call-lifecycle.js';
import type { CallSession, CallState as SessionState } from '../calls/call-session.js';
import type { CallRegistry } from '../calls/call-registry.js';
import type { StasisController } from '../calls/stasis-controller.js';
import { assertNever } from '../lib/assert-never.js';
import type { Logger } from '../observability/logger.js';
import type { CallEventSink } from './call-event-types.js';
import type { CallOwnership } from './call-ownership.js';

/** Close reasons that mean the call failed rather than ended normally. */
const FAILED_REASONS: ReadonlySet<string> = new Set([
  'agent_failed',
  'ari_failure',
  'no_route',
  'error',
  'orphaned',
  // No codec translation path between the caller and the media channel: a configuration failure, not a hang-up.
  'media_left_bridge',
  // Out of media resources (RTP ports): the call was refused.
  'media_unavailable',
  // The media worker holding the call died.
  'worker_failed',
]);

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
  /** Media ids of live calls (bounded by them), from `media.requested` until the call has ended. */
  readonly #media = new Map<string, { mediaChannelId: string; bridgeId: string; audiosocketUuid: string }>();
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
    session.on('state', (state) => {
      const mapped = STATE_OF[state];
      if (mapped) sink.emit(id, 'call.state_changed', { state: mapped });
    });
    session.on('event', (e) => this.#publish(session, e));
    session.once('ended', () => {
      this.#media.delete(id);
      ownership.release(id).catch((err: unknown) => log.warn({ err }, 'could not release call ownership'));
    });
  }

  /**
   * Publishes one lifecycle event under its public name (`PUBLIC_EVENT_NAME`), with the payload the public
   * contract gives it. Exhaustive: a new lifecycle event does not compile until it is decided here.
   */
  #publish(session: CallSession, e: LifecycleEvent): void {
    const { sink } = this.#o;
    const id = session.id;
    const name = PUBLIC_EVENT_NAME;
    switch (e.type) {
      case 'media.requested':
        // Folded into `call.media_connected`: the ids are known before Asterisk connects the media.
        this.#media.set(id, {
          mediaChannelId: e.data.mediaChannel,
          bridgeId: e.data.bridge,
          audiosocketUuid: e.data.uuid ?? '',
        });
        return;
      case 'media.connected':
        sink.emit(id, name[e.type], {
          ...this.#media.get(id),
          ...(e.data.worker !== undefined ? { mediaWorker: e.data.worker } : {}),
        });
        return;
      case 'agent.connected':
        sink.emit(id, name[e.type], { agentKind: e.data.kind });
        return;
      case 'agent.failed':
        sink.emit(id, name[e.type], { code: e.data.code, message: e.data.message });
        return;
      case 'ari.failed':
        sink.emit(id, name[e.type], { code: 'ARI_FAILURE', message: e.data.message });
        return;
      case 'dtmf':
        sink.emit(id, name[e.type], { digit: e.data.digit });
        return;
      case 'media.gap':
        sink.emit(id, name[e.type], { ...e.data });
        return;
      case 'amd.result':
        sink.emit(id, name[e.type], { ...e.data });
        return;
      case 'transcript':
        sink.emit(id, name[e.type], { role: e.data.role, text: e.data.text, itemId: e.data.itemId });
        return;
      case 'recording.started':
        sink.emit(id, name[e.type], { name: e.data.name, format: e.data.format });
        return;
      case 'recording.finished':
        sink.emit(id, name[e.type], { name: e.data.name, status: e.data.status });
        return;
      case 'action':
        if (e.data.type === 'transfer') sink.emit(id, name[e.type], { target: JSON.stringify(e.data.target) });
        return;
      case 'transfer.started':
        sink.emit(id, name[e.type], {
          transferId: e.data.transferId,
          target: e.data.target,
          hold: e.data.hold,
          reason: e.data.reason ?? null,
        });
        return;
      case 'transfer.ringing':
      case 'transfer.answered':
        sink.emit(id, name[e.type], { transferId: e.data.transferId, channelId: e.data.channel });
        return;
      case 'transfer.summary_played':
        sink.emit(id, name[e.type], { transferId: e.data.transferId, via: e.data.via });
        return;
      case 'transfer.completed':
        sink.emit(id, name[e.type], { transferId: e.data.transferId, bridgeId: e.data.bridge });
        return;
      case 'transfer.failed':
        sink.emit(id, name[e.type], {
          transferId: e.data.transferId,
          reason: e.data.reason,
          message: e.data.message,
          hangupCause: e.data.cause ?? null,
          hangupCauseTxt: e.data.causeText ?? null,
        });
        return;
      case 'call.ended':
        sink.emit(id, name[e.type], {
          state: FAILED_REASONS.has(e.data.reason) ? 'failed' : 'ended',
          closeReason: e.data.reason,
          initiator: e.data.initiator,
          hangupCause: e.data.cause ?? null,
          hangupCauseTxt: e.data.text ?? null,
          ...(e.data.latency ? { latency: e.data.latency } : {}),
        });
        return;
      case 'call.started':
      case 'answered':
      case 'media.left_bridge':
      case 'media.timeout':
      case 'control':
      case 'webrtc.negotiated':
      case 'webrtc.connected':
      case 'webrtc.failed':
        return;
      default:
        assertNever(e, 'lifecycle event');
    }
  }
}
