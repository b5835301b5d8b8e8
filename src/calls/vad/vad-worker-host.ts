import type { Worker } from 'node:worker_threads';
import { VadError } from './vad-error.js';
import {
  type VadBatchResult,
  type VadInferRequest,
  type VadSettledState,
  type VadShutdownRequest,
  type VadWorkerData,
  isVadFromWorker,
} from './vad-worker-protocol.js';
import type { ThreadPlacementOutcome } from './vad-worker-placement.js';
import { startModuleWorker } from './worker-launcher.js';

/** What the engine hears from a running worker. */
export interface VadWorkerHostHandlers {
  result(jobId: number, batches: readonly VadBatchResult[], inferMs: number): void;
  inferFailed(jobId: number, error: VadError): void;
  /** The worker stopped without being asked to (crash, uncaught exception, exit). Called at most once. */
  crashed(error: VadError): void;
}

export interface VadWorkerHostOptions {
  readonly entry: URL;
  readonly data: VadWorkerData;
  /** How long the worker may take to load the model and report ready. */
  readonly startTimeoutMs: number;
  /** How long `close()` waits for the worker to finish its job and exit before terminating it. */
  readonly stopGraceMs: number;
  readonly handlers: VadWorkerHostHandlers;
}

/**
 * One VAD inference worker thread, from start to exit: starts it, waits until it has loaded the model, forwards
 * jobs and results, and reports an unrequested exit. A worker that exits or fails before it is ready rejects
 * `start` with `VAD_MODEL_LOAD_FAILED` (onnxruntime refused the model) or `VAD_WORKER_START_FAILED`.
 *
 * Stopping is cooperative: terminating a thread while onnxruntime runs in it aborts the whole process, so `close()`
 * asks the worker to finish its job and exit, and terminates it only if it has not exited after `stopGraceMs`.
 */
export class VadWorkerHost {
  readonly generation: number;
  readonly #worker: Worker;
  readonly #stopGraceMs: number;
  readonly #exited: Promise<void>;
  #hasExited = false;
  #stopping: Promise<void> | undefined;
  /** Where the worker placed its thread, as it reported when ready. */
  placement: ThreadPlacementOutcome | undefined;
  /** The model's state after settled silence, per rate, as the worker computed it when ready. */
  settledStates: readonly VadSettledState[] = [];

  private constructor(worker: Worker, generation: number, stopGraceMs: number) {
    this.#worker = worker;
    this.generation = generation;
    this.#stopGraceMs = stopGraceMs;
    this.#exited = new Promise<void>((resolve) => {
      worker.once('exit', () => {
        this.#hasExited = true;
        resolve();
      });
    });
  }

  static start(options: VadWorkerHostOptions): Promise<VadWorkerHost> {
    const { entry, data, startTimeoutMs, stopGraceMs, handlers } = options;
    return new Promise<VadWorkerHost>((resolve, reject) => {
      let worker: Worker;
      try {
        worker = startModuleWorker(entry, { workerData: data, name: `vad-${data.generation}` });
      } catch (err) {
        reject(new VadError('VAD_WORKER_START_FAILED', `could not start the VAD worker: ${String(err)}`, {}, err));
        return;
      }
      const host = new VadWorkerHost(worker, data.generation, stopGraceMs);
      let ready = false;
      let lastError: unknown;
      const fail = (err: VadError) => {
        clearTimeout(timer);
        void host.close().catch(() => undefined);
        reject(err);
      };
      const timer = setTimeout(() => {
        fail(new VadError('VAD_WORKER_START_FAILED', `VAD worker not ready after ${startTimeoutMs} ms`));
      }, startTimeoutMs);

      worker.on('message', (msg: unknown) => {
        if (!isVadFromWorker(msg)) return;
        switch (msg.type) {
          case 'ready':
            if (ready) return;
            ready = true;
            clearTimeout(timer);
            host.placement = msg.placement;
            host.settledStates = msg.settledStates;
            worker.unref();
            resolve(host);
            return;
          case 'init-failed':
            fail(
              new VadError('VAD_MODEL_LOAD_FAILED', `onnxruntime could not load the VAD model: ${msg.message}`, {
                modelPath: data.modelPath,
              }),
            );
            return;
          case 'result':
            if (ready) handlers.result(msg.jobId, msg.batches, msg.inferMs);
            return;
          case 'infer-failed':
            if (ready) {
              handlers.inferFailed(
                msg.jobId,
                new VadError('VAD_WORKER_CRASHED', `VAD inference failed: ${msg.message}`, {
                  generation: data.generation,
                }),
              );
            }
            return;
        }
      });
      worker.on('error', (err) => {
        lastError = err;
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        if (host.#stopping) return;
        host.#stopping = Promise.resolve();
        const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
        if (!ready) {
          fail(
            new VadError(
              'VAD_WORKER_START_FAILED',
              `VAD worker exited with code ${code} before it was ready${detail}`,
              { exitCode: code },
              lastError,
            ),
          );
          return;
        }
        handlers.crashed(
          new VadError(
            'VAD_WORKER_CRASHED',
            `VAD worker exited with code ${code}${detail}`,
            { exitCode: code, generation: data.generation },
            lastError,
          ),
        );
      });
    });
  }

  /** Sends one job; the buffers in `transfer` move to the worker. */
  send(job: VadInferRequest, transfer: ArrayBuffer[]): void {
    this.#worker.postMessage(job, transfer);
  }

  /** Keeps the process alive while a job is in flight; an idle worker does not. */
  setBusy(busy: boolean): void {
    if (busy) this.#worker.ref();
    else this.#worker.unref();
  }

  /**
   * Asks the worker to finish the job in hand (its result is still posted) and exit; terminates it if it has not
   * exited within the grace period. Idempotent; resolves when the thread has exited.
   */
  close(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#hasExited) return;
    const shutdown: VadShutdownRequest = { type: 'shutdown' };
    try {
      this.#worker.postMessage(shutdown);
      this.#worker.ref();
    } catch {
      // The thread is already going away; waiting for its exit below covers it.
    }
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#stopGraceMs);
    });
    const exitedInTime = await Promise.race([this.#exited.then(() => true), graceOver]);
    clearTimeout(timer);
    if (!exitedInTime) await this.#worker.terminate().catch(() => undefined);
    await this.#exited;
  }
}
