import { warmTransferOptionsOf } from '../config/warm-transfer-route.js';
import { AppError } from '../errors/app-error.js';
import type { Logger } from '../observability/logger.js';
import type { CallTelephony } from './call-control.js';
import type { LifecycleEventData } from './call-lifecycle.js';
import type { CloseReason } from './close-reason.js';
import type { AgentControl, CallInfo, WarmTransferRequest } from './voice-agent.js';
import { type TransferEventType, warmTransferErrorCode } from './warm-transfer-types.js';

/** A warm transfer started on a call: its id, and its end (the caller bridged, or back with the agent). */
export interface StartedWarmTransfer {
  readonly transferId: string;
  /** Resolves once the caller is bridged with the person (the call then ends as `transferred`); rejects with a
   * `TRANSFER_*` AppError saying why when the caller is back with the agent. */
  readonly done: Promise<void>;
}

/** What a warm transfer needs of its call (a `CallSession`). */
export interface WarmTransferHost {
  readonly id: string;
  readonly info: CallInfo;
  readonly log: Logger;
  readonly telephony: CallTelephony | undefined;
  /** The call's agent, here or on a media worker (its notices and summary then go through the worker channel). */
  readonly agent: AgentControl | undefined;
  readonly closing: boolean;
  record<K extends TransferEventType>(type: K, data: LifecycleEventData[K]): void;
  close(reason: CloseReason): Promise<void>;
}

/**
 * Starts a warm transfer on a call: wires the route's `transfer.warm` options, the call's lifecycle record, the
 * agent's notices and (when the agent has one) its voice for the summary to the call's telephony. Throws at once
 * when the transfer cannot start. `fromAgent` false (REST, CLI, queue): a failure is also told to the agent as a
 * text message, since no tool call waits for it.
 */
export function startWarmTransfer(
  session: WarmTransferHost,
  request: WarmTransferRequest,
  signal: AbortSignal,
  fromAgent: boolean,
): StartedWarmTransfer {
  const tel = session.telephony;
  if (!tel?.warmTransfer) {
    throw new AppError('a warm transfer needs an ARI call; this call came straight from the dialplan', {
      code: 'ACTION_UNAVAILABLE',
      category: 'invalid_request',
    });
  }
  const agent = session.agent;
  const options = warmTransferOptionsOf(session.info.route);
  const speak = agent?.speakToTransferTarget?.bind(agent);
  if (request.prompt === undefined && options.prompt === undefined && request.summary !== undefined && !speak) {
    throw new AppError(
      `the ${agent?.kind ?? "call's"} agent cannot speak a summary to the person: give a prompt (media URIs) or set the route's transfer.warm.prompt`,
      { code: 'TRANSFER_PROMPT_REQUIRED', category: 'invalid_request' },
    );
  }
  const started = tel.warmTransfer(
    request,
    {
      callId: session.id,
      options,
      log: session.log,
      record: (type, data) => session.record(type, data),
      notify: (notice) => session.agent?.notify(notice),
      ...(speak ? { speak } : {}),
    },
    signal,
  );
  const done = started.outcome.then(async (outcome) => {
    if (outcome.status === 'completed') {
      await session.close('transferred');
      return;
    }
    const error = new AppError(`warm transfer failed: ${outcome.message}; the caller is back with you`, {
      code: warmTransferErrorCode(outcome.reason),
      category: 'application',
      details: {
        transferId: outcome.transferId,
        reason: outcome.reason,
        ...(outcome.cause !== undefined ? { cause: outcome.cause, causeText: outcome.causeText } : {}),
      },
    });
    if (!fromAgent && !session.closing) session.agent?.sendMessage?.(error.message, { interrupt: false });
    throw error;
  });
  return { transferId: started.transferId, done };
}
