/**
 * The adapter as a separate process for the full-call benchmark: configured from the environment like `ava serve`,
 * it reports its AudioSocket port to the parent over IPC and runs until told to stop.
 */
import pino from 'pino';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { startLoopDelay } from '../lib/stats.js';

const config = loadConfig();
const app = createApp(config, { logger: pino({ level: 'warn' }, pino.destination({ fd: 2, sync: false })) });
await app.start();
// With MEDIA_WORKERS > 0 the workers' PIDs too (forked with the primary's CPU affinity: the benchmark pins them).
process.send?.({
  type: 'ready',
  port: app.audioSocket.address?.port,
  workers: app.mediaWorkers?.workers.map((w) => w.pid) ?? [],
});
// Event-loop delay since the last `stats` message with `reset: true` (or since start).
let loop = startLoopDelay();
process.on('message', async (m: { type?: string; reset?: boolean }) => {
  if (m?.type === 'stats') {
    const bridges = app.registry.list().map((s) => s.bridge?.stats);
    const read = loop.read();
    process.send?.({
      type: 'stats',
      calls: app.registry.size,
      bargeIns: bridges.reduce((n, b) => n + (b?.bargeIns ?? 0), 0),
      clock: app.clock.stats,
      eventLoopP99Ms: read.p99Ms,
      eventLoopMaxMs: read.maxMs,
      // Where the service's tool runs spent their time, since start (mean per phase).
      toolPhases: await app.metrics.toolPhaseMeans(),
    });
    if (m.reset) {
      loop.stop();
      loop = startLoopDelay();
    }
  }
  if (m?.type === 'stop') {
    app.stop(2000).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
