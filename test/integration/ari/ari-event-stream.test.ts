import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { SimulatedAsterisk } from '../../../src/simulator/ari/index.js';
import {
  AriEventStream,
  type AriStreamDisconnected,
  type AriStreamReconnected,
  type AriStreamUnparseable,
} from '../../../src/transports/ari/index.js';
import { APP, clientFor, connectedStream, EventCollector, PASSWORD, startSim, streamFor, USER } from './ari-harness.js';

function nextEmitted<T>(stream: AriEventStream, name: 'reconnected' | 'disconnected'): Promise<T> {
  return new Promise((resolve) => stream.once(name, (info) => resolve(info as T)));
}

async function fakeEventsServer(onConnection: (ws: import('ws').WebSocket) => void, options = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await once(wss, 'listening');
  wss.on('connection', onConnection);
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    wss,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

describe('AriEventStream', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function sim(): Promise<SimulatedAsterisk> {
    const s = await startSim();
    cleanups.push(() => s.close());
    return s;
  }

  it('connects with Basic auth or api_key and emits typed events', async () => {
    const s = await sim();
    for (const auth of ['basic', 'api_key'] as const) {
      const stream = streamFor(s, { auth });
      cleanups.push(() => stream.close());
      const events = new EventCollector(stream);
      const connected = new Promise((resolve) => stream.once('connected', resolve));
      await stream.start();
      expect(await connected).toEqual({ connection: 1 });
      expect(stream.url).not.toContain(PASSWORD);
      expect(stream.url).toBe(`ws://127.0.0.1:${s.port}/ari/events?app=${APP}`);
      const call = await s.placeInboundCall();
      const start = await events.next('StasisStart');
      expect(start.channel.id).toBe(call.id);
      await call.hangup();
      await events.next('StasisEnd');
      await stream.close();
      expect(stream.state).toBe('closed');
    }
  });

  it('reconnects after the events socket drops, emits disconnected/reconnected, and keeps receiving', async () => {
    const s = await sim();
    const { stream, events } = await connectedStream(s);
    cleanups.push(() => stream.close());
    const client = clientFor(s);
    const call = await s.placeInboundCall();
    await events.next('StasisStart');
    const disconnected = nextEmitted<AriStreamDisconnected>(stream, 'disconnected');
    const reconnected = nextEmitted<AriStreamReconnected>(stream, 'reconnected');
    expect(s.dropEventSockets()).toBe(1);
    expect(await disconnected).toMatchObject({ connection: 1, code: 1006, willReconnect: true });
    const info = await reconnected;
    expect(info.connection).toBe(2);
    expect(stream.stats().connections).toBe(2);
    // The channel is still in Stasis (a dropped events socket does not end calls) and events flow again.
    expect((await client.channels.get(call.id)).state).toBe('Up');
    await client.channels.setVariable(call.id, 'AFTER', '1');
    const varset = await events.next('ChannelVarset', (e) => e.variable === 'AFTER');
    expect(varset.channel?.id).toBe(call.id);
  });

  it('retries while Asterisk is down and reconnects when it is back; events of the gap are not replayed', async () => {
    const s = await sim();
    const { stream, events } = await connectedStream(s);
    cleanups.push(() => stream.close());
    await s.placeInboundCall();
    await events.next('StasisStart');
    const reconnected = nextEmitted<AriStreamReconnected>(stream, 'reconnected');
    await s.restart({ downtimeMs: 300 });
    const info = await reconnected;
    expect(info.failedAttempts).toBeGreaterThanOrEqual(1);
    expect(s.channels()).toEqual([]);
    expect(events.events.map((e) => e.type)).toEqual(['StasisStart']);
    const call = await s.placeInboundCall();
    const start = await events.next('StasisStart', (e) => e.channel.id === call.id);
    expect(start.channel.state).toBe('Up');
  });

  it('keeps reconnecting through the 404s of a restarting Asterisk (HTTP up before ARI), but not on the first start', async () => {
    // Seen on Asterisk 22.10.1: after a restart its HTTP server answers /ari/events with 404 until res_ari loads.
    let upgrades = 0;
    let answer404 = false;
    const wss = new WebSocketServer({ noServer: true });
    const server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head) => {
      upgrades++;
      if (answer404) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const c of wss.clients) c.terminate();
          server.close(() => resolve());
        }),
    );
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const reconnect = { initialDelayMs: 5, maxDelayMs: 20, multiplier: 2, jitter: 0, maxAttempts: 0 };
    const stream = new AriEventStream({ baseUrl, username: USER, password: PASSWORD, app: APP, reconnect });
    cleanups.push(() => stream.close());
    let gaveUp: unknown;
    stream.on('gaveUp', (e) => {
      gaveUp = e;
    });
    await stream.start();
    const reconnected = nextEmitted<AriStreamReconnected>(stream, 'reconnected');
    answer404 = true;
    for (const c of wss.clients) c.terminate();
    while (upgrades < 4) await new Promise((r) => setTimeout(r, 5));
    answer404 = false;
    const info = await reconnected;
    expect(info.failedAttempts).toBeGreaterThanOrEqual(2);
    expect(gaveUp).toBeUndefined();
    expect(stream.state).toBe('open');

    // Before the first connection a 404 is a wrong ARI_URL (or ARI not enabled): start() fails at once.
    answer404 = true;
    const fresh = new AriEventStream({ baseUrl, username: USER, password: PASSWORD, app: APP, reconnect });
    cleanups.push(() => fresh.close());
    await expect(fresh.start()).rejects.toMatchObject({ code: 'ARI_EVENTS_REFUSED' });
  });

  it('gives up after maxAttempts and rejects start()', async () => {
    const stream = new AriEventStream({
      baseUrl: 'http://127.0.0.1:1',
      username: USER,
      password: PASSWORD,
      app: APP,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20, multiplier: 2, jitter: 0, maxAttempts: 4 },
    });
    cleanups.push(() => stream.close());
    const gaveUp = new Promise((resolve) => stream.once('gaveUp', (e) => resolve(e)));
    await expect(stream.start()).rejects.toMatchObject({ code: 'ARI_EVENTS_GAVE_UP', retryable: false });
    expect(await gaveUp).toMatchObject({ code: 'ARI_EVENTS_GAVE_UP' });
    expect(stream.state).toBe('closed');
  });

  it('does not retry a 401 and reports it as an authentication error', async () => {
    const s = await sim();
    let attempts = 0;
    const stream = streamFor(s, {
      password: 'wrong',
      reconnect: { initialDelayMs: 5, maxDelayMs: 10, multiplier: 1, jitter: 0, maxAttempts: 0 },
    });
    cleanups.push(() => stream.close());
    stream.on('connected', () => attempts++);
    await expect(stream.start()).rejects.toMatchObject({ code: 'ARI_UNAUTHORIZED', category: 'authentication' });
    expect(attempts).toBe(0);
    expect(stream.state).toBe('closed');
  });

  it('counts and reports unparseable messages and unknown events without crashing', async () => {
    const channel = {
      id: '1.1',
      name: 'PJSIP/x-00000001',
      state: 'Up',
      caller: { name: '', number: '' },
      connected: { name: '', number: '' },
      accountcode: '',
      dialplan: { context: 'c', exten: 's', priority: 1 },
      creationtime: 't',
      language: 'en',
    };
    const server = await fakeEventsServer((ws) => {
      ws.send('{not json');
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
      ws.send(JSON.stringify({ type: 'ChannelDtmfReceived', application: APP, timestamp: 't', digit: 1 }));
      ws.send(JSON.stringify({ type: 'SomethingNew', application: APP, timestamp: 't', x: 1 }));
      ws.send(JSON.stringify({ type: 'StasisEnd', application: APP, timestamp: 't', channel }));
    });
    cleanups.push(() => server.close());
    const stream = streamFor(server);
    cleanups.push(() => stream.close());
    const events = new EventCollector(stream);
    const unparseable: AriStreamUnparseable[] = [];
    stream.on('unparseable', (u) => unparseable.push(u));
    stream.on('event', () => {
      throw new Error('a listener that throws must not break the stream');
    });
    await stream.start();
    await events.next('StasisEnd');
    expect(events.events.map((e) => e.type)).toEqual(['UnknownEvent', 'StasisEnd']);
    expect(unparseable.map((u) => u.failure.reason)).toEqual(['invalid_json', 'binary_frame', 'schema_mismatch']);
    expect(stream.stats()).toEqual({ connections: 1, received: 2, unknown: 1, unparseable: 3 });
  });

  it('drops a connection that stops answering pings and reconnects', async () => {
    const server = await fakeEventsServer(() => undefined, { autoPong: false });
    cleanups.push(() => server.close());
    const stream = streamFor(server, { pingIntervalMs: 30 });
    cleanups.push(() => stream.close());
    const reconnected = nextEmitted<AriStreamReconnected>(stream, 'reconnected');
    await stream.start();
    expect((await reconnected).connection).toBe(2);
  });

  it('close() is idempotent, always resolves, and an AbortSignal closes the stream', async () => {
    const s = await sim();
    const stream = streamFor(s);
    let closedEvents = 0;
    stream.on('closed', () => closedEvents++);
    await stream.start();
    await Promise.all([stream.close(), stream.close()]);
    await stream.close();
    expect(closedEvents).toBe(1);
    expect(s.isAppConnected()).toBe(false);

    const controller = new AbortController();
    const aborted = streamFor(s, { signal: controller.signal });
    const closed = new Promise<void>((resolve) => aborted.once('closed', () => resolve()));
    await aborted.start();
    controller.abort();
    await closed;
    expect(aborted.state).toBe('closed');

    const never = streamFor(
      { url: 'http://127.0.0.1:1' },
      { reconnect: { initialDelayMs: 1000, maxDelayMs: 1000, multiplier: 1, jitter: 0, maxAttempts: 0 } },
    );
    const starting = never.start();
    await never.close();
    await expect(starting).rejects.toMatchObject({ code: 'ARI_EVENTS_CLOSED' });
  });

  it('receives ApplicationReplaced when another connection registers the same application', async () => {
    const s = await sim();
    const first = await connectedStream(s, {
      reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1, jitter: 0, maxAttempts: 0 },
    });
    cleanups.push(() => first.stream.close());
    const second = await connectedStream(s);
    cleanups.push(() => second.stream.close());
    await first.events.next('ApplicationReplaced');
    const call = await s.placeInboundCall();
    await second.events.next('StasisStart', (e) => e.channel.id === call.id);
    expect(first.events.events.map((e) => e.type)).toEqual(['ApplicationReplaced']);
  });
});
