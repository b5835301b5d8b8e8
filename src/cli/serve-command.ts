import { createApp } from '../app.js';
import { loadConfig } from '../config/load-config.js';

/**
 * `ava serve`: runs the adapter until SIGTERM/SIGINT, then drains calls and exits. `mediaWorkers` (the
 * `--media-workers` option) stands for MEDIA_WORKERS and is validated the same way.
 */
export async function runServe(mediaWorkers?: string): Promise<void> {
  const env = mediaWorkers === undefined ? process.env : { ...process.env, MEDIA_WORKERS: mediaWorkers };
  const config = loadConfig({ env, isTty: process.stderr.isTTY });
  const app = createApp(config);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      app.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    app.logger.info({ signal }, 'shutting down');
    app.stop(config.shutdownDeadlineMs).then(
      () => process.exit(0),
      (err: unknown) => {
        app.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (!config.ari) {
    app.logger.info(
      'ARI_URL is not set: dialplan-direct mode only (AudioSocket() / Dial(AudioSocket/…) from the dialplan; no Stasis calls, no originate)',
    );
  }
  try {
    await app.start();
  } catch (err) {
    // A signal during start (e.g. while ARI is still unreachable) is a clean stop: onSignal drains and exits 0.
    if (signals > 0) return;
    throw err;
  }
}
