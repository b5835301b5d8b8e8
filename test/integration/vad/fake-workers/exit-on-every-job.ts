/** A VAD worker that loads the model and reports ready like the real one, then exits with code 9 on every job. */
import { parentPort } from 'node:worker_threads';
import '../../../../src/calls/vad/vad-worker.js';

parentPort?.on('message', (msg: { type?: string }) => {
  if (msg.type === 'infer') process.exit(9);
});
