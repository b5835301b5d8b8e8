import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CallRegistry } from '../../../src/calls/call-registry.js';
import type { CallSession } from '../../../src/calls/call-session.js';
import type { ConsoleMessage } from '../../../src/http/console/console-feed.js';
import { registerConsole } from '../../../src/http/console/register-console.js';
import { TypedEmitter } from '../../../src/lib/typed-emitter.js';
import { createLogger } from '../../../src/observability/logger.js';

const READ = 'read-token-0123456789abcdef';

/** Just enough of a CallSession for the registry and the console feed. */
class FakeSession extends TypedEmitter<{ [k: string]: unknown[] }> {
  state = 'active';
  endSummary: unknown;
  readonly info = {
    direction: 'inbound',
    caller: '+15550100',
    callee: '100',
    route: { name: 'sales', agent: { kind: 'websocket' } },
    startedAt: new Date(),
  };
  constructor(readonly id: string) {
    super();
  }
  record(type: string, data: Record<string, unknown>): void {
    this.emit('event', { callId: this.id, type, at: new Date(), data });
  }
  end(): void {
    this.state = 'ended';
    this.emit('state', 'ended');
    this.endSummary = { reason: 'caller_hangup', initiator: 'caller', endedAt: new Date() };
    this.emit('ended', this.endSummary);
  }
}

interface Client {
  ws: WebSocket;
  messages: ConsoleMessage[];
  closed: Promise<{ code: number; reason: string }>;
  next(type: ConsoleMessage['type']): Promise<ConsoleMessage>;
}

function connect(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  const messages: ConsoleMessage[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (d) => {
    messages.push(JSON.parse(String(d)) as ConsoleMessage);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((done) =>
    ws.on('close', (code, reason) => done({ code, reason: String(reason) })),
  );
  let read = 0;
  const next = async (type: ConsoleMessage['type']): Promise<ConsoleMessage> => {
    for (;;) {
      while (read < messages.length) {
        const m = messages[read++]!;
        if (m.type === type) return m;
      }
      await new Promise<void>((done) => waiters.push(done));
    }
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, closed, next }));
    ws.once('error', reject);
  });
}

describe('console feed WebSocket and routes', () => {
  let fastify: FastifyInstance | undefined;
  afterEach(async () => {
    await fastify?.close();
    fastify = undefined;
  });

  async function start(registry: CallRegistry): Promise<{ http: string; ws: string }> {
    fastify = Fastify();
    registerConsole(fastify, {
      registry,
      db: () => undefined,
      authenticate: (t) => (t === READ ? { name: 'viewer', scope: 'read' } : undefined),
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    const { port } = fastify.server.address() as AddressInfo;
    return { http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/v1/console/ws` };
  }

  it('refuses a wrong token (4401) and a first message that is not auth (4400), sending nothing', async () => {
    const { ws } = await start(new CallRegistry());
    const bad = await connect(ws);
    bad.ws.send(JSON.stringify({ type: 'auth', token: 'nope' }));
    expect((await bad.closed).code).toBe(4401);
    const rude = await connect(ws);
    rude.ws.send('hello');
    expect((await rude.closed).code).toBe(4400);
    expect([...bad.messages, ...rude.messages]).toEqual([]);
  });

  it('pushes added, event, state and ended; a console that joins later gets the call with its events', async () => {
    const registry = new CallRegistry();
    const { ws } = await start(registry);
    const a = await connect(ws);
    a.ws.send(JSON.stringify({ type: 'auth', token: READ }));
    expect(await a.next('hello')).toMatchObject({ type: 'hello', principal: 'viewer', scope: 'read', calls: [] });

    const s = new FakeSession('call-1');
    registry.add(s as unknown as CallSession);
    expect(await a.next('call.added')).toMatchObject({
      call: {
        id: 'call-1',
        caller: '+15550100',
        callee: '100',
        route: 'sales',
        agentKind: 'websocket',
        state: 'active',
      },
    });
    s.record('transcript', { role: 'caller', text: 'hi', blob: Buffer.alloc(4) });
    expect(await a.next('call.event')).toMatchObject({
      callId: 'call-1',
      event: { type: 'transcript', data: { role: 'caller', text: 'hi', blob: '<4 bytes>' } },
    });

    const b = await connect(ws);
    b.ws.send(JSON.stringify({ type: 'auth', token: READ }));
    const hello = await b.next('hello');
    expect(hello).toMatchObject({ calls: [{ id: 'call-1', events: [{ type: 'transcript' }] }] });

    s.end();
    expect(await a.next('call.state')).toMatchObject({ callId: 'call-1', state: 'ended' });
    expect(await a.next('call.ended')).toMatchObject({
      callId: 'call-1',
      reason: 'caller_hangup',
      initiator: 'caller',
    });
    expect(await b.next('call.ended')).toMatchObject({ callId: 'call-1' });
    expect(registry.size).toBe(0);
    a.ws.close();
    b.ws.close();
  });

  it('serves the page with a strict CSP, keeps data behind the token, and 503s history without MySQL', async () => {
    const { http } = await start(new CallRegistry());
    const page = await fetch(`${http}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).not.toContain(READ);
    expect((await fetch(`${http}/console/nope.js`)).status).toBe(404);
    expect((await fetch(`${http}/v1/console/history`)).status).toBe(401);
    expect((await fetch(`${http}/v1/console/history`, { headers: { authorization: 'Bearer x' } })).status).toBe(401);
    const res = await fetch(`${http}/v1/console/history`, { headers: { authorization: `Bearer ${READ}` } });
    expect(res.status).toBe(503);
  });

  it('closes live console connections when the server closes', async () => {
    const { ws } = await start(new CallRegistry());
    const a = await connect(ws);
    a.ws.send(JSON.stringify({ type: 'auth', token: READ }));
    await a.next('hello');
    await fastify!.close();
    fastify = undefined;
    expect((await a.closed).code).toBe(1001);
  });
});
