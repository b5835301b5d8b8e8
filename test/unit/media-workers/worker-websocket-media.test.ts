import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { MediaClock } from '../../../src/audio/media-clock.js';
import { MediaWorkerHost } from '../../../src/calls/media-workers/media-worker-host.js';
import type { Route } from '../../../src/config/routes.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { FromWorker } from '../../../src/protocols/media-worker/messages.js';
import { waitFor } from '../../support/wait.js';

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function host(asteriskHttpUrl: string, sent: FromWorker[]): MediaWorkerHost {
  const route = { name: 'ws', media: 'websocket', audioFormat: 'slin', agent: { kind: 'echo' } } as unknown as Route;
  return new MediaWorkerHost({
    routeByName: (name) => (name === 'ws' ? route : undefined),
    agentFactory: () => {
      throw new Error('no agent in this test');
    },
    clock: {} as MediaClock,
    speech: undefined,
    playoutMaxMs: 1000,
    agentConnectTimeoutMs: 1000,
    gapFillAfterMs: 60,
    websocketMedia: { asteriskHttpUrl, pacing: 'clock', leadMs: 0, controlFormat: 'json', timeoutMs: 2000 },
    send: (m) => sent.push(m),
    logger: createLogger({ level: 'silent', pretty: false }),
  });
}

const info = (callId: string) => ({
  callId,
  direction: 'inbound' as const,
  routeName: 'ws',
  startedAt: new Date().toISOString(),
  customParameters: {},
});

describe('a media worker setting up chan_websocket media', () => {
  it('reports call.mediaFailed (the primary decides) when Asterisk cannot be reached', async () => {
    const sent: FromWorker[] = [];
    const h = host(`http://127.0.0.1:${await closedPort()}`, sent);
    const callId = randomUUID();
    h.receive({ type: 'call.connectWebSocket', info: info(callId), connectionId: 'c1', format: 'slin' });
    await waitFor(() => sent.length > 0, 5000, 'a report');
    expect(sent[0]).toMatchObject({ type: 'call.mediaFailed', callId });
    expect(h.liveCalls).toBe(0);
  });

  it('reports a call whose route it does not know as failed', () => {
    const sent: FromWorker[] = [];
    const h = host('http://127.0.0.1:1', sent);
    h.receive({
      type: 'call.connectWebSocket',
      info: { ...info('x'), routeName: 'nope' },
      connectionId: 'c1',
      format: 'slin',
    });
    expect(sent).toEqual([{ type: 'call.failed', callId: 'x', reason: 'agent_failed', code: 'NO_ROUTE' }]);
  });
});
