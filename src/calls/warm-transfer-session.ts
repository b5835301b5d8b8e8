import { warmTransferOptionsOf } from '../config/warm-transfer-route.js';
import { AppError } from '../errors/app-error.js';
import type { CallSession } from './call-session.js';
import type { WarmTransferRequest } from './voice-agent.js';
import { warmTransferErrorCode } from './warm-transfer.js';

/** A warm transfer started on a call: its id, and its end (the caller bridged, or back with the agent). */
export interface StartedWarmTransfer {
  readonly transferId: string;
  /** Resolves once the caller is bridged with the person (the call then ends as `transferred`); rejects with a
   * `TRANSFER_*` AppError saying why when the caller is back with the agent. */
  readonly done: Promise<void>;
}

/**
 * Starts a warm transfer on a call: wires the route's `transfer.warm` options, the call's lifecycle record, the
 * agent's notices and (when the agent has one) its voice for the summary to the call's telephony. Throws at once
 * when the transfer cannot start. `fromAgent` false (REST, CLI, queue): a failure is also told to the agent as a
 * text message, since no tool call waits for it.
 */
export function startWarmTransfer(
  session: CallSession,
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
