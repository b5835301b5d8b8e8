import type { Kysely } from 'kysely';
import { CallsRepository } from '../db/calls-repository.js';
import { RecordingsRepository } from '../db/recordings-repository.js';
import type { DB } from '../db/schema.js';
import { assertNever } from '../lib/assert-never.js';
import type { CallEvent } from './call-event-types.js';

/**
 * Applies a stored lifecycle event to the `calls` and `recordings` rows, inside the transaction that stores the
 * event, so the call record follows its event stream (and survives a database outage the same way). Events with
 * no effect on rows (dtmf, transcript, playback, agent, error) only live in `call_events`.
 */
export async function applyCallEvent(db: Kysely<DB>, callId: string, event: CallEvent, at: Date): Promise<void> {
  const calls = new CallsRepository(db);
  switch (event.type) {
    case 'call.created': {
      const p = event.payload;
      await calls.create({
        id: callId,
        direction: p.direction,
        state: p.state ?? 'created',
        fromNumber: p.from ?? null,
        toNumber: p.to ?? null,
        route: p.route ?? null,
        agentKind: p.agentKind ?? null,
        callerChannelId: p.callerChannelId ?? null,
        audiosocketUuid: p.audiosocketUuid ?? null,
        ownerInstance: p.ownerInstance ?? null,
        createdAt: at,
      });
      return;
    }
    case 'call.ringing':
      await calls.update(callId, { state: 'ringing' });
      return;
    case 'call.answered':
      await calls.update(callId, { state: 'answered', answeredAt: at });
      return;
    case 'call.media_connected': {
      const p = event.payload;
      await calls.update(callId, {
        ...(p.mediaChannelId !== undefined ? { mediaChannelId: p.mediaChannelId } : {}),
        ...(p.bridgeId !== undefined ? { bridgeId: p.bridgeId } : {}),
        ...(p.audiosocketUuid !== undefined ? { audiosocketUuid: p.audiosocketUuid } : {}),
        // No worker named: the media connected in the primary process.
        mediaWorker: p.mediaWorker ?? 'primary',
      });
      return;
    }
    case 'call.state_changed':
      if (event.payload.state === 'ended' || event.payload.state === 'failed') {
        await calls.markEnded(callId, { endedAt: at, state: event.payload.state });
      } else {
        await calls.update(callId, { state: event.payload.state });
      }
      return;
    case 'call.recording_started':
      await new RecordingsRepository(db).start({
        callId,
        name: event.payload.name,
        format: event.payload.format,
        startedAt: at,
      });
      return;
    case 'call.recording_finished':
      await new RecordingsRepository(db).finish(event.payload.name, {
        status: event.payload.status,
        endedAt: at,
        durationMs: event.payload.durationMs ?? null,
        error: event.payload.error ?? null,
      });
      return;
    case 'call.ended': {
      const p = event.payload;
      await calls.markEnded(callId, {
        endedAt: at,
        state: p.state ?? 'ended',
        hangupCause: p.hangupCause ?? null,
        hangupCauseTxt: p.hangupCauseTxt ?? null,
        hangupInitiator: p.initiator ?? null,
        closeReason: p.closeReason,
        ...(p.latency !== undefined ? { latency: p.latency } : {}),
      });
      return;
    }
    case 'call.agent_connected':
    case 'call.agent_disconnected':
    case 'call.dtmf':
    case 'call.amd_result':
    case 'call.media_gap':
    case 'call.transcript':
    case 'call.transferred':
    case 'call.transfer_started':
    case 'call.transfer_ringing':
    case 'call.transfer_answered':
    case 'call.transfer_summary_played':
    case 'call.transfer_completed':
    case 'call.transfer_failed':
    case 'call.playback_started':
    case 'call.playback_finished':
    case 'call.error':
      return;
    default:
      assertNever(event, 'call event');
  }
}
