/**
 * The parts of the ARI client the Stasis side of a call uses, declared by its consumers (as the media bridge
 * declares `MediaLeg`), so that each can be driven by a small fake in unit tests.
 */
import type { AriClient } from '../transports/ari/ari-client.js';

/** What a media path's set-up asks of ARI: create the media channel, add it to the call's bridge. */
export interface MediaPathAri {
  readonly channels: Pick<AriClient['channels'], 'externalMedia'>;
  readonly bridges: Pick<AriClient['bridges'], 'addChannel'>;
}

/** What a Stasis call's telephony actions ask of ARI (see `AriCallTelephony`). */
export interface TelephonyAri {
  readonly channels: Pick<
    AriClient['channels'],
    'answer' | 'ring' | 'hangup' | 'redirect' | 'continueInDialplan' | 'play' | 'sendDtmf' | 'get'
  >;
  readonly bridges: Pick<AriClient['bridges'], 'play' | 'record' | 'destroy'>;
  readonly recordings: Pick<AriClient['recordings'], 'stopLive'>;
}

/** What the capability probe asks of ARI. */
export interface ProbeAri {
  readonly asterisk: Pick<AriClient['asterisk'], 'info' | 'modules'>;
}

/** What reconciling with Asterisk asks of ARI: list what is there, hang up and destroy what nobody owns. */
export interface ReconcileAri {
  readonly channels: Pick<AriClient['channels'], 'list' | 'hangup'>;
  readonly bridges: Pick<AriClient['bridges'], 'destroy'>;
  readonly applications: Pick<AriClient['applications'], 'get'>;
}

/** Everything the Stasis controller and the parts it drives ask of ARI. */
export interface StasisAri {
  readonly channels: MediaPathAri['channels'] &
    TelephonyAri['channels'] &
    ReconcileAri['channels'] &
    Pick<AriClient['channels'], 'originate'>;
  readonly bridges: MediaPathAri['bridges'] &
    TelephonyAri['bridges'] &
    ReconcileAri['bridges'] &
    Pick<AriClient['bridges'], 'create' | 'startMoh' | 'stopMoh'>;
  readonly applications: ReconcileAri['applications'];
  readonly recordings: TelephonyAri['recordings'];
  readonly asterisk: ProbeAri['asterisk'];
}
