import { Writable } from 'node:stream';
import pino from 'pino';
import { type App, type AppDeps, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';

/** Captures JSON log lines so tests can assert on what the service logged. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        this.raw.push(line);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // keep raw only
        }
      }
      cb();
    },
  });
  readonly logger = pino({ level: 'debug', base: undefined }, this.stream);

  find(msg: string | RegExp): Record<string, unknown>[] {
    return this.lines.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))));
  }
}

/** Starts the real app on loopback with port 0 and the given environment; the caller stops it. */
export async function startTestApp(
  env: Record<string, string> = {},
  deps: AppDeps & { routesJson?: unknown } = {},
): Promise<{ app: App; logs: LogCapture; port: number }> {
  const logs = new LogCapture();
  const routesText = deps.routesJson === undefined ? undefined : JSON.stringify(deps.routesJson);
  const config = loadConfig({
    env: {
      AUDIOSOCKET_HOST: '127.0.0.1',
      AUDIOSOCKET_PORT: '0',
      HTTP_PORT: '0',
      AUDIOSOCKET_ALLOW_ANY_UUID: 'true',
      VAD: 'off',
      HTTP_ENABLED: 'false',
      // One process unless a test asks for media workers (MEDIA_WORKERS defaults to the cores available).
      MEDIA_WORKERS: '0',
      ...(routesText ? { ROUTES_FILE: 'routes.json' } : {}),
      ...env,
    },
    ...(routesText ? { readFile: () => routesText } : {}),
  });
  const app = createApp(config, { logger: logs.logger, ...deps });
  await app.start();
  const port = app.audioSocket.address?.port;
  if (!port) throw new Error('AudioSocket server did not bind');
  return { app, logs, port };
}
