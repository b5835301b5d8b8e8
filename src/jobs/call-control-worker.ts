import { isAppError } from '../errors/app-error.js';
import { assertNever } from '../lib/assert-never.js';
import { onceAsync, runCleanups } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import type { CallController } from './call-controller.js';
import type { ControlCommand, ControlResult } from './control-commands.js';
import {
  type ControlJobResult,
  controlJobDataSchema,
  instanceQueueName,
  QUEUES,
  type RemoteError,
  type TypedJob,
  type TypedWorker,
} from './queues.js';
import type { RedisConnection } from './redis-connection.js';
import { createWorker, type WorkerTuning } from './worker-factory.js';

export interface CallControlWorkersOptions {
  connection: RedisConnection;
  prefix: string;
  instanceId: string;
  controller: CallController;
  logger: Logger;
  /**
   * Worker settings. `maxStalledCount` should stay 0: a command whose worker died mid-way fails (the client sees
   * CONTROL_FAILED, executed unknown) instead of running a second time.
   */
  tuning: WorkerTuning;
  /** How long a started command may run past its deadline before its signal aborts. */
  overrunGraceMs?: number;
}

/** Runs one command on the controller; exhaustive over command types. */
export function dispatchControlCommand(
  controller: CallController,
  command: ControlCommand,
  signal: AbortSignal,
): Promise<ControlResult> {
  switch (command.type) {
    case 'originate':
      return controller.originate({ ...command, callId: command.callId ?? '' }, signal);
    case 'hangup':
      return controller.hangup(command, signal);
    case 'transfer':
      return controller.transfer(command, signal);
    case 'play':
      return controller.play(command, signal);
    case 'dtmf':
      return controller.sendDtmf(command, signal);
    case 'send-message':
      return controller.sendMessage(command, signal);
    case 'record':
      return controller.record(command, signal);
    default:
      return assertNever(command, 'control command');
  }
}

/** Turns whatever the controller threw into data that survives the trip back to the client. */
export function toRemoteError(err: unknown): RemoteError {
  if (isAppError(err)) {
    return { code: err.code, category: err.category, message: err.message, retryable: err.retryable };
  }
  return {
    code: 'CONTROLLER_ERROR',
    category: 'application',
    message: err instanceof Error ? err.message : String(err),
    retryable: false,
  };
}

/**
 * The worker side of call control on one instance: takes originate commands from the shared queue and commands
 * for its own calls from `call-control.<instanceId>`, runs them on the `CallController`, and returns the result
 * or the error as data. Commands whose deadline passed before they started are refused without running.
 */
export class CallControlWorkers {
  readonly #o: CallControlWorkersOptions;
  readonly #workers: TypedWorker<'callControl'>[];

  constructor(options: CallControlWorkersOptions) {
    this.#o = options;
    const log = options.logger.child({ component: 'call-control' });
    const common = {
      connection: options.connection,
      prefix: options.prefix,
      tuning: options.tuning,
      logger: log,
      workerName: options.instanceId,
    };
    const processor = (job: TypedJob<'callControl'>, _token?: string, signal?: AbortSignal) =>
      this.#process(job, signal);
    this.#workers = [
      createWorker('callControl', QUEUES.callControl, processor, common),
      createWorker('callControl', instanceQueueName(QUEUES.callControlInstance, options.instanceId), processor, common),
    ];
  }

  async #process(job: TypedJob<'callControl'>, jobSignal?: AbortSignal): Promise<ControlJobResult> {
    const parsed = controlJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'CONTROL_INVALID',
          category: 'invalid_request',
          message: parsed.error.message,
          retryable: false,
        },
      };
    }
    const { command, deadline } = parsed.data;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      return {
        ok: false,
        error: {
          code: 'CONTROL_TIMEOUT',
          category: 'timeout',
          message: `${command.type} reached the owner after its deadline; not executed`,
          retryable: true,
        },
      };
    }
    const signals = [AbortSignal.timeout(remaining + (this.#o.overrunGraceMs ?? 5000))];
    if (jobSignal) signals.push(jobSignal);
    try {
      const result = await dispatchControlCommand(this.#o.controller, command, AbortSignal.any(signals));
      return { ok: true, result };
    } catch (err) {
      const error = toRemoteError(err);
      this.#o.logger.debug(
        { callId: 'callId' in command ? command.callId : undefined, type: command.type, code: error.code },
        'control command failed',
      );
      return { ok: false, error };
    }
  }

  /** Waits until both workers are connected. */
  async waitUntilReady(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.waitUntilReady()));
  }

  /** Stops taking commands and waits for those in progress. Idempotent. */
  readonly close = onceAsync(async (): Promise<void> => {
    await runCleanups(this.#workers.map((w) => () => w.close()));
  });
}
