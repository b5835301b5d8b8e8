import type { Worker } from 'node:worker_threads';
import { VadError } from './vad-error.js';
import {
  type VadBatchResult,
  type VadInferRequest,
  type VadWorkerData,
  isVadFromWorker,
} from './vad-worker-protocol.js';
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
  readonly handlers: VadWorkerHostHandlers;
}

/**
 * One VAD inference worker thread, from start to exit: starts it, waits until it has loaded the model, forwards
 * jobs and results, and reports an unrequested exit. A worker that exits or fails before it is ready rejects
 * `start` with `VAD_MODEL_LOAD_FAILED` (onnxruntime refused the model) or `VAD_WORKER_START_FAILED`.
 */
export class VadWorkerHost {
  readonly generation: number;
  readonly #worker: Worker;
  #terminating: Promise<void> | undefined;

  private constructor(worker: Worker, generation: number) {
    this.#worker = worker;
    this.generation = generation;
  }

  static start(options: VadWorkerHostOptions): Promise<VadWorkerHost> {
    const { entry, data, startTimeoutMs, handlers } = options;
    return new Promise<VadWorkerHost>((resolve, reject) => {
      let worker: Worker;
      try {
        worker = startModuleWorker(entry, { workerData: data, name: `vad-${data.generation}` });
      } catch (err) {
        reject(new VadError('VAD_WORKER_START_FAILED', `could not start the VAD worker: ${String(err)}`, {}, err));
        return;
      }
      const host = new VadWorkerHost(worker, data.generation);
      let ready = false;
      let lastError: unknown;
      const fail = (err: VadError) => {
        clearTimeout(timer);
        void host.terminate();
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
        if (host.#terminating) return;
        host.#terminating = Promise.resolve();
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

  /** Stops the thread (an in-flight job is abandoned). Idempotent; resolves when the thread has exited. */
  terminate(): Promise<void> {
    this.#terminating ??= this.#worker.terminate().then(
      () => undefined,
      () => undefined,
    );
    return this.#terminating;
  }
}
