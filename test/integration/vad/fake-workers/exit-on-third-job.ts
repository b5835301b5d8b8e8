/**
 * A VAD worker that behaves like the real one, except that the first worker of an engine (generation 0) exits
 * with code 7 when its third job arrives. Its listener is registered before the real worker's, so it exits
 * before that job starts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { VadWorkerData } from '../../../../src/calls/vad/vad-worker-protocol.js';

let jobs = 0;
if ((workerData as VadWorkerData).generation === 0) {
  parentPort?.on('message', (msg: { type?: string }) => {
    if (msg.type === 'infer' && ++jobs === 3) process.exit(7);
  });
}
await import('../../../../src/calls/vad/vad-worker.js');
