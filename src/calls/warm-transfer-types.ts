import type { WarmTransferRouteOptions } from '../config/warm-transfer-route.js';
import { AppError } from '../errors/app-error.js';
import type { Logger } from '../observability/logger.js';
import type { AriClient } from '../transports/ari/ari-client.js';
import type { LifecycleEventData } from './call-lifecycle.js';
import type { CallNotice, TransferTarget, WarmTransferFailure } from './voice-agent.js';
import type { WarmTransferLegs } from './warm-transfer-legs.js';

/** The parts of a warm transfer that are not its state machine: what it needs, what it returns, its wording. */
/** What a warm transfer asks of ARI. */
export interface WarmTransferAri {
  readonly channels: Pick<AriClient['channels'], 'originate' | 'hangup' | 'play'>;
  readonly bridges: Pick<AriClient['bridges'], 'create' | 'addChannel' | 'destroy' | 'startMoh' | 'stopMoh'>;
}

/** The service-wide side of warm transfers: ARI, the Stasis app, and the channels transfers hold. */
export interface WarmTransferEnv {
  readonly ari: WarmTransferAri;
  readonly app: string;
  /** Routes ARI events of the channels transfers hold to them (the controller leaves those channels alone). */
  readonly legs: WarmTransferLegs;
}

/** The call a warm transfer belongs to. */
export interface WarmTransferCall {
  readonly callId: string;
  readonly callerChannelId: string;
  /** The call's bridge (caller and media channel). */
  readonly bridgeId: string;
  readonly options: WarmTransferRouteOptions;
  readonly log: Logger;
  /** Records a transfer step as a lifecycle event. */
  record<K extends TransferEventType>(type: K, data: LifecycleEventData[K]): void;
  /** Tells the agent about a step. */
  notify(notice: CallNotice): void;
  /** Speaks the summary to the person (the agent's own voice), when the agent can. */
  speak?: ((text: string, signal: AbortSignal) => Promise<void>) | undefined;
}

export type TransferEventType = Extract<keyof LifecycleEventData, `transfer.${string}`>;

export type WarmTransferOutcome =
  | { readonly status: 'completed'; readonly transferId: string; readonly bridgeId: string }
  | {
      readonly status: 'failed';
      readonly transferId: string;
      readonly reason: WarmTransferFailure;
      readonly message: string;
      readonly cause?: number | undefined;
      readonly causeText?: string | undefined;
    };

/** The AppError code a failed transfer is reported with (tool outputs, native `error` events, REST). */
export function warmTransferErrorCode(reason: WarmTransferFailure): string {
  return `TRANSFER_${reason.toUpperCase()}`;
}

/** The channel a transfer target is dialled on: an endpoint as given, an extension through a Local channel. */
export function dialStringOf(target: TransferTarget): string {
  if ('endpoint' in target) {
    if (!/^[A-Za-z][A-Za-z0-9_-]*\/\S+$/.test(target.endpoint)) {
      throw new AppError(
        `transfer target "${target.endpoint}" is not an endpoint (Technology/resource, e.g. PJSIP/200)`,
        {
          code: 'TRANSFER_TARGET_INVALID',
          category: 'invalid_request',
        },
      );
    }
    return target.endpoint;
  }
  if (!/^[^\s@/]+$/.test(target.extension) || !/^[^\s@/]+$/.test(target.context)) {
    throw new AppError('transfer target: extension and context must not contain spaces, @ or /', {
      code: 'TRANSFER_TARGET_INVALID',
      category: 'invalid_request',
    });
  }
  return `Local/${target.extension}@${target.context}`;
}

/** How a failure is worded for the agent and the record. */
export function describe(
  reason: WarmTransferFailure,
  cause: number | undefined,
  causeText: string | undefined,
): string {
  const q850 = cause !== undefined ? ` (Q.850 cause ${cause}${causeText ? ` ${causeText}` : ''})` : '';
  switch (reason) {
    case 'busy':
      return `the person's line is busy${q850}`;
    case 'no_answer':
      return `the person did not answer${q850}`;
    default:
      return `the person could not be reached${q850}`;
  }
}
