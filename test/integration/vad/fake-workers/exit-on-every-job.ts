/**
 * A VAD worker that loads the model and reports ready like the real one, then exits with code 9 when a job
 * arrives (its listener runs before the real worker's, so no job starts).
 */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (msg: { type?: string }) => {
  if (msg.type === 'infer') process.exit(9);
});
await import('../../../../src/calls/vad/vad-worker.js');
