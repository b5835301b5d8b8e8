import { randomUUID } from 'node:crypto';
import type { AmdSettings } from '../config/amd-config.js';
import type { Route } from '../config/routes.js';
import { AppError } from '../errors/app-error.js';
import type { Logger } from '../observability/logger.js';
import type { AriClient } from '../transports/ari/ari-client.js';
import { AMD_CONTEXT, AMD_RETURN_ARG, amdDialplanVariables } from './amd/asterisk-amd.js';
import { type AmdResult, fromAsteriskAmd } from './amd/amd-result.js';

export interface OriginateRequest {
  /** Id the call gets (the control plane assigns it up front); a new UUID when absent. */
  callId?: string | undefined;
  /** `PJSIP/+4930123@trunk`, `PJSIP/alice`, or a `Local/...` channel. */
  endpoint: string;
  route: Route;
  callerId?: string | undefined;
  /** Seconds to ring before giving up. */
  timeoutSec?: number | undefined;
  variables?: Record<string, string> | undefined;
  customParameters?: Record<string, string> | undefined;
  /** Answering-machine detection for this call (resolved from the route and the request). */
  amd?: AmdSettings | undefined;
}

export interface OriginateResult {
  callId: string;
  channelId: string;
}

/** An originate Asterisk accepted: the far end is being dialled. */
export interface StartedOriginate {
  readonly callId: string;
  readonly channelId: string;
  /** Answered (the call is live in the registry), or a typed error with the Q.850 cause. */
  readonly answered: Promise<OriginateResult>;
  /**
   * Hangs up the channel while it is still being dialled (`answered` then fails with the cause Asterisk reports);
   * does nothing once it answered or failed.
   */
  cancel(): Promise<void>;
}

/** An originate Asterisk accepted whose channel has not yet answered (entered Stasis) or failed. */
export interface PendingOriginate {
  readonly request: OriginateRequest;
  readonly callId: string;
  resolve(r: OriginateResult): void;
  reject(e: AppError): void;
  lastDialStatus: string;
  /** `amd.mode: asterisk`: the channel is in the `ava-amd` dialplan running AMD(). */
  inAmd?: boolean;
  /** Asterisk's AMD verdict, from the Stasis arguments the dialplan came back with. */
  amdResult?: AmdResult;
}

/** Q.850 causes an unanswered originate ends with, as the error codes callers see. */
export function originateFailure(cause: number, causeTxt: string, dialStatus: string): AppError {
  const code =
    dialStatus === 'BUSY' || cause === 17
      ? 'ORIGINATE_BUSY'
      : dialStatus === 'NOANSWER' || cause === 19 || cause === 18
        ? 'ORIGINATE_NO_ANSWER'
        : 'ORIGINATE_FAILED';
  return new AppError(`call was not answered: ${causeTxt} (cause ${cause}${dialStatus ? `, ${dialStatus}` : ''})`, {
    code,
    category: 'application',
    details: { cause, causeTxt, dialStatus },
  });
}

export interface OriginatorOptions {
  readonly ari: {
    readonly channels: Pick<AriClient['channels'], 'originate' | 'continueInDialplan'> &
      Partial<Pick<AriClient['channels'], 'hangup'>>;
  };
  readonly app: string;
  readonly logger: Logger;
  readonly onOriginated: (o: { callId: string; channelId: string; endpoint: string; route: string }) => void;
  readonly onFailed: (o: { callId: string; channelId: string; route: string; error: AppError }) => void;
}

/**
 * Outbound calls from `originate` until their channel enters Stasis (answered) or is destroyed first (busy, no
 * answer, failure: a typed error with the Q.850 cause). Bounded by the calls being dialled; all are rejected on
 * close.
 */
export class Originator {
  readonly #o: OriginatorOptions;
  readonly #pending = new Map<string, PendingOriginate>();

  constructor(options: OriginatorOptions) {
    this.#o = options;
  }

  /** Whether `channelId` is an originate still being dialled. */
  has(channelId: string): boolean {
    return this.#pending.has(channelId);
  }

  /**
   * Sends the originate and resolves once Asterisk accepted it (the far end is ringing), with the call's ids and a
   * promise of the outcome: answered (the call is live in the registry) or a typed error with the Q.850 cause.
   */
  start(request: OriginateRequest): Promise<StartedOriginate> {
    const channelId = `ava-${randomUUID()}`;
    const callId = request.callId ?? randomUUID();
    let settle!: { resolve: (r: OriginateResult) => void; reject: (e: AppError) => void };
    const answered = new Promise<OriginateResult>((resolve, reject) => {
      settle = { resolve, reject };
    });
    answered.catch(() => undefined);
    this.#pending.set(channelId, {
      request,
      callId,
      lastDialStatus: '',
      resolve: settle.resolve,
      reject: (e) => {
        this.#o.onFailed({ callId, channelId, route: request.route.name, error: e });
        settle.reject(e);
      },
    });
    return this.#o.ari.channels
      .originate({
        endpoint: request.endpoint,
        app: this.#o.app,
        appArgs: ['outbound', request.route.name],
        channelId,
        ...(request.callerId ? { callerId: request.callerId } : {}),
        ...(request.timeoutSec ? { timeout: request.timeoutSec } : {}),
        ...(request.variables || request.amd?.mode === 'asterisk'
          ? { variables: { ...request.variables, ...amdDialplanVariables(request.amd, this.#o.app) } }
          : {}),
      })
      .then(
        () => {
          this.#o.logger.info({ channelId, endpoint: request.endpoint, callId }, 'originate sent');
          this.#o.onOriginated({ callId, channelId, endpoint: request.endpoint, route: request.route.name });
          const cancel = async (): Promise<void> => {
            if (!this.#pending.has(channelId)) return;
            this.#o.logger.info({ channelId, callId }, 'cancelling an originate still being dialled');
            await this.#o.ari.channels.hangup?.(channelId).catch((err: unknown) => {
              this.#o.logger.warn({ err, channelId, callId }, 'cancelling the originate failed');
            });
          };
          return { callId, channelId, answered, cancel };
        },
        (err: unknown) => {
          this.#pending.delete(channelId);
          throw err instanceof AppError
            ? err
            : new AppError('originate failed', { code: 'ORIGINATE_FAILED', category: 'server', cause: err });
        },
      );
  }

  /** A `Dial` event for the originated channel: remembers its dial status for the failure's error. */
  dialled(channelId: string, dialStatus: string | undefined): void {
    const pending = this.#pending.get(channelId);
    if (pending && dialStatus) pending.lastDialStatus = dialStatus;
  }

  /**
   * The originated channel entered Stasis: hands over its originate (the caller then resolves it). With
   * `amd.mode: asterisk` the first entry (answered) sends it on to the `ava-amd` dialplan context instead (`'amd'`:
   * not a call yet); it comes back with `outbound-amd,<AMDSTATUS>,<AMDCAUSE>` and is handed over with the verdict.
   */
  answered(channelId: string, args: readonly string[] = []): PendingOriginate | 'amd' | undefined {
    const pending = this.#pending.get(channelId);
    if (pending?.request.amd?.mode === 'asterisk' && !pending.inAmd) {
      pending.inAmd = true;
      this.#o.logger.info({ channelId, callId: pending.callId }, 'answered; running AMD() in the dialplan');
      this.#o.ari.channels
        .continueInDialplan(channelId, { context: AMD_CONTEXT, extension: 's', priority: 1 })
        .catch((err: unknown) => {
          this.#o.logger.warn({ err, channelId, callId: pending.callId }, 'could not send the call to AMD()');
          this.#pending.delete(channelId);
          pending.reject(
            new AppError('AMD dialplan step failed', { code: 'ORIGINATE_FAILED', category: 'server', cause: err }),
          );
        });
      return 'amd';
    }
    this.#pending.delete(channelId);
    if (pending?.inAmd && args[0] === AMD_RETURN_ARG) pending.amdResult = fromAsteriskAmd(args[1] ?? '', args[2] ?? '');
    return pending;
  }

  /** The channel was destroyed: a pending originate fails with its cause. Whether it was one. */
  destroyed(channelId: string, cause: number | undefined, causeTxt: string | undefined): boolean {
    const pending = this.#pending.get(channelId);
    if (!pending) return false;
    this.#pending.delete(channelId);
    if (pending.inAmd) {
      this.#o.logger.info({ channelId, cause, callId: pending.callId }, 'callee hung up during AMD()');
      pending.reject(
        new AppError('the callee hung up during answering-machine detection', {
          code: 'ORIGINATE_AMD_HANGUP',
          category: 'application',
          details: { cause: cause ?? 0, causeTxt: causeTxt ?? 'Unknown', amdStatus: 'HANGUP' },
        }),
      );
      return true;
    }
    this.#o.logger.info({ channelId, cause, dialStatus: pending.lastDialStatus }, 'originated call not answered');
    pending.reject(originateFailure(cause ?? 0, causeTxt ?? 'Unknown', pending.lastDialStatus));
    return true;
  }

  /** Rejects every pending originate (`SHUTTING_DOWN`). */
  close(): void {
    for (const p of this.#pending.values()) {
      p.reject(
        new AppError('adapter is shutting down', { code: 'SHUTTING_DOWN', category: 'server', retryable: true }),
      );
    }
    this.#pending.clear();
  }
}
