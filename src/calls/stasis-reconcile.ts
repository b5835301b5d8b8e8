import type { Logger } from '../observability/logger.js';
import { AriCallTelephony } from './ari-telephony.js';
import type { CallRegistry } from './call-registry.js';
import type { ReconcileAri } from './stasis-ari.js';

export interface ReconcileResult {
  adopted: number;
  orphanChannels: number;
  orphanBridges: number;
  endedCalls: number;
}

export interface ReconcileInput {
  readonly ari: ReconcileAri;
  readonly app: string;
  readonly registry: Pick<CallRegistry, 'list' | 'get'>;
  /** Whether the controller knows `channelId` (a media leg, an originated call, one being dialled). */
  readonly owns: (channelId: string) => boolean;
  readonly logger: Logger;
}

/**
 * Brings our view and Asterisk's into line: live sessions whose caller channel is gone end; channels and bridges
 * in our application that no live call owns are hung up / destroyed.
 */
export async function reconcileWithAsterisk(input: ReconcileInput): Promise<ReconcileResult> {
  const { ari, registry, logger: log } = input;
  const [channels, app] = await Promise.all([
    ari.channels.list(),
    ari.applications.get(input.app).catch(() => undefined),
  ]);
  const existing = new Set(channels.map((c) => c.id));
  let endedCalls = 0;
  for (const session of registry.list()) {
    const tel = session.telephony;
    if (!(tel instanceof AriCallTelephony)) continue;
    if (!existing.has(tel.resources.callerChannelId)) {
      endedCalls += 1;
      log.info({ callId: session.id }, 'caller channel is gone after reconnect; ending call');
      void session.close('caller_hangup');
    }
  }
  const appChannels = new Set(app?.channel_ids ?? []);
  let adopted = 0;
  let orphanChannels = 0;
  for (const ch of channels) {
    const inOurApp =
      appChannels.has(ch.id) ||
      (ch.dialplan.app_name === 'Stasis' && (ch.dialplan.app_data ?? '').split(',')[0] === input.app);
    if (!inOurApp) continue;
    if (registry.get(ch.id) || input.owns(ch.id)) {
      adopted += 1;
      continue;
    }
    orphanChannels += 1;
    log.warn({ channel: ch.id, name: ch.name }, 'orphan channel in our application; hanging up');
    await ari.channels.hangup(ch.id).catch((err: unknown) => log.warn({ err, channel: ch.id }, 'orphan hangup failed'));
  }
  let orphanBridges = 0;
  const liveBridges = new Set(
    registry
      .list()
      .map((s) => (s.telephony instanceof AriCallTelephony ? s.telephony.resources.bridgeId : undefined))
      .filter((b): b is string => b !== undefined),
  );
  for (const bridgeId of app?.bridge_ids ?? []) {
    if (liveBridges.has(bridgeId)) continue;
    orphanBridges += 1;
    log.warn({ bridge: bridgeId }, 'orphan bridge in our application; destroying');
    await ari.bridges
      .destroy(bridgeId)
      .catch((err: unknown) => log.warn({ err, bridge: bridgeId }, 'orphan bridge destroy failed'));
  }
  const result = { adopted, orphanChannels, orphanBridges, endedCalls };
  log.info(result, 'reconciled with Asterisk');
  return result;
}
