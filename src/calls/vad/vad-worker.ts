/**
 * Entry of the VAD inference worker thread: loads the Silero model into one onnxruntime `InferenceSession`
 * (CPU, one intra-op and one inter-op thread) and answers `infer` jobs from the engine, one batch per sample rate
 * each, with the probabilities and the next recurrent state. It holds no per-stream state: the engine sends each
 * stream's state with its window. On `shutdown` it finishes the job in hand, releases the session and exits:
 * a thread terminated from outside while onnxruntime is running aborts the whole process, so the engine never
 * terminates a busy worker.
 *
 * Before it loads the model it places its own thread (CPUs, priority) as `workerData.placement` asks; once loaded it
 * runs two seconds of digital silence through the model at each rate and reports the recurrent state reached (the
 * state the engine gives a stream whose energy gate skipped windows).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import {
  SILERO_RATES,
  SILERO_STATE_SIZE,
  SILERO_STATE_UNITS,
  SILERO_WINDOW_MS,
  sileroWindowShape,
} from './silero-model.js';
import { placeThisThread } from './vad-worker-placement.js';
import {
  type VadBatchRequest,
  type VadBatchResult,
  type VadFromWorker,
  type VadSettledState,
  type VadWorkerData,
  isVadToWorker,
} from './vad-worker-protocol.js';

async function runBatch(session: ort.InferenceSession, batch: VadBatchRequest): Promise<VadBatchResult> {
  const shape = sileroWindowShape(batch.sampleRate);
  const feeds = {
    input: new ort.Tensor('float32', batch.input, [batch.count, shape.inputSize]),
    state: new ort.Tensor('float32', batch.state, [2, batch.count, SILERO_STATE_UNITS]),
    sr: new ort.Tensor('int64', BigInt64Array.of(BigInt(batch.sampleRate)), []),
  };
  const out = await session.run(feeds);
  const probabilities = out['output']?.data;
  const state = out['stateN']?.data;
  if (!(probabilities instanceof Float32Array) || !(state instanceof Float32Array)) {
    throw new Error('model outputs "output"/"stateN" missing or not float32');
  }
  if (probabilities.length !== batch.count || state.length !== batch.count * 2 * SILERO_STATE_UNITS) {
    throw new Error(`model outputs have unexpected sizes ${probabilities.length}/${state.length}`);
  }
  return { sampleRate: batch.sampleRate, probabilities: ownBuffer(probabilities), state: ownBuffer(state) };
}

/** Digital silence the settled states are computed over. */
const SETTLE_MS = 2000;

/** The recurrent state the model reaches after `SETTLE_MS` of digital silence, per rate, from a zero state. */
async function settledStates(session: ort.InferenceSession): Promise<VadSettledState[]> {
  const out: VadSettledState[] = [];
  for (const sampleRate of SILERO_RATES) {
    let state: Float32Array = new Float32Array(SILERO_STATE_SIZE);
    const input = new Float32Array(sileroWindowShape(sampleRate).inputSize);
    for (let k = 0; k < SETTLE_MS / SILERO_WINDOW_MS; k++) {
      state = (await runBatch(session, { sampleRate, count: 1, input, state })).state;
    }
    out.push({ sampleRate, state });
  }
  return out;
}

/** The array itself when it spans its whole buffer (so the buffer can be transferred), a copy otherwise. */
function ownBuffer(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice();
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('vad-worker must run in a worker thread');
  const post = (msg: VadFromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
  const { modelPath, placement: wanted } = workerData as VadWorkerData;
  // First, so that threads onnxruntime starts inherit the placement.
  const placement = placeThisThread(wanted.cpus, wanted.priority);

  let session: ort.InferenceSession;
  let settled: VadSettledState[];
  try {
    session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    settled = await settledStates(session);
  } catch (err) {
    post({ type: 'init-failed', message: err instanceof Error ? err.message : String(err) });
    return;
  }

  // Messages are handled one after another, so a shutdown waits for the job before it.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (msg: unknown) => {
    if (!isVadToWorker(msg)) return;
    if (msg.type === 'shutdown') {
      chain = chain.then(async () => {
        await session.release().catch(() => undefined);
        process.exit(0);
      });
      return;
    }
    chain = chain.then(async () => {
      try {
        const t0 = performance.now();
        const batches: VadBatchResult[] = [];
        for (const batch of msg.batches) batches.push(await runBatch(session, batch));
        const inferMs = performance.now() - t0;
        const transfer = batches.flatMap((b) => [b.probabilities.buffer as ArrayBuffer, b.state.buffer as ArrayBuffer]);
        post({ type: 'result', jobId: msg.jobId, batches, inferMs }, transfer);
      } catch (err) {
        post({ type: 'infer-failed', jobId: msg.jobId, message: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  post({ type: 'ready', placement, settledStates: settled });
}

await main();
