/**
 * The ARI password never leaves the transport: not in error messages, error JSON, inspected objects, or any log
 * line (pino output captured to a buffer at trace level), whatever the failure.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { AriClient, AriEventStream } from '../../../src/transports/ari/index.js';
import { APP, connectedStream, startSim, USER } from './ari-harness.js';

const SECRET = 'Very-Secret-Ari-Pw-42';
const FORMS = [
  SECRET,
  encodeURIComponent(SECRET),
  Buffer.from(`${USER}:${SECRET}`).toString('base64'),
  encodeURIComponent(`${USER}:${SECRET}`),
];

function capturingLogger() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'trace', pretty: false, destination: { write: (l: string) => lines.push(l) } });
  return { logger, lines };
}

function leaks(text: string): string[] {
  return FORMS.filter((f) => text.includes(f));
}

describe('ARI credentials', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('never appear in errors, inspected objects or logs', async () => {
    const { logger, lines } = capturingLogger();
    const sim = await startSim({ password: SECRET });
    cleanups.push(() => sim.close());
    const seen: unknown[] = [];
    const keep = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        seen.push(err);
      }
    };

    const client = new AriClient({ baseUrl: sim.url, username: USER, password: SECRET, logger });
    seen.push(client, client.endpoint);
    await client.channels.list();
    await keep(client.channels.get('missing'));
    await keep(new AriClient({ baseUrl: sim.url, username: USER, password: `${SECRET}x`, logger }).channels.list());

    const stream = new AriEventStream({
      baseUrl: sim.url,
      username: USER,
      password: SECRET,
      app: APP,
      auth: 'api_key',
      logger,
      pingIntervalMs: 0,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20, multiplier: 2, jitter: 0, maxAttempts: 0 },
    });
    cleanups.push(() => stream.close());
    seen.push(stream);
    const reconnected = new Promise((resolve) => stream.once('reconnected', resolve));
    await stream.start();
    sim.dropEventSockets();
    await reconnected;

    const refused = new AriEventStream({
      baseUrl: sim.url,
      username: USER,
      password: `${SECRET}x`,
      app: APP,
      auth: 'api_key',
      logger,
    });
    cleanups.push(() => refused.close());
    await keep(refused.start());

    const port = 1; // nothing listens on port 1
    await stream.close();
    await sim.close();
    const dead = new AriClient({ baseUrl: `http://127.0.0.1:${port}`, username: USER, password: SECRET, logger });
    await keep(dead.channels.list());
    const gone = new AriEventStream({
      baseUrl: `http://127.0.0.1:${port}`,
      username: USER,
      password: SECRET,
      app: APP,
      auth: 'api_key',
      logger,
      reconnect: { initialDelayMs: 1, maxDelayMs: 2, multiplier: 1, jitter: 0, maxAttempts: 3 },
    });
    await keep(gone.start());

    const errors = seen.filter((e): e is Error => e instanceof Error);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual([
      'ARI_NOT_FOUND',
      'ARI_UNAUTHORIZED',
      'ARI_UNAUTHORIZED',
      'ARI_UNAVAILABLE',
      'ARI_EVENTS_GAVE_UP',
    ]);
    for (const item of seen) {
      const text = [
        inspect(item, { depth: 8, showHidden: true }),
        JSON.stringify(item),
        item instanceof Error ? `${item.message} ${item.stack ?? ''} ${inspect(item.cause, { depth: 8 })}` : '',
      ].join('\n');
      expect(leaks(text), text.slice(0, 400)).toEqual([]);
    }
    expect(lines.length).toBeGreaterThan(5);
    expect(leaks(lines.join('\n'))).toEqual([]);
    // The capture works: the logger saw the requests and the connection.
    expect(lines.some((l) => l.includes('/ari/channels'))).toBe(true);
    expect(lines.some((l) => l.includes('ARI events stream connected'))).toBe(true);
  });

  it('refuses a base URL that carries credentials, without echoing them', () => {
    let message = '';
    try {
      new AriClient({ baseUrl: `http://${USER}:${SECRET}@127.0.0.1:8088`, username: USER, password: SECRET });
    } catch (err) {
      message = `${(err as Error).message} ${JSON.stringify(err)}`;
      expect((err as { code?: string }).code).toBe('ARI_CONFIG');
    }
    expect(message).not.toBe('');
    expect(leaks(message)).toEqual([]);
  });

  it('keeps the password out of the events URL it reports', async () => {
    const sim = await startSim({ password: SECRET });
    cleanups.push(() => sim.close());
    const { stream } = await connectedStream(sim, { password: SECRET, auth: 'api_key' });
    cleanups.push(() => stream.close());
    expect(leaks(stream.url)).toEqual([]);
  });
});
