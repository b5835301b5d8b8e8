import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AdapterEvent } from '../../../src/protocols/agent/events.js';
import { parseAgentMessage } from '../../../src/protocols/agent/parse.js';
import { startNativeEchoAgent } from '../../../src/simulator/agents/native-echo-agent.js';
import {
  AgentConnectError,
  type AgentSocket,
  type AgentSocketClose,
  connectAgentSocket,
  connectAgentSocketWithRetry,
  runWithReconnect,
} from '../../../src/transports/agent-ws/index.js';
import { freePort } from '../../support/net.js';
import { eventWaiter } from '../../support/wait.js';

const logger = pino({ level: 'silent' });
const SECRET = 'agent-socket-test-secret';

/** Resources a test opened; closed after it whatever happened. */
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function options(url: string, extra: Partial<Parameters<typeof connectAgentSocket>[0]> = {}) {
  return {
    url,
    callId: randomUUID(),
    connectTimeoutMs: 10_000,
    signal: new AbortController().signal,
    logger,
    ...extra,
  };
}

async function connect(url: string, extra: Partial<Parameters<typeof connectAgentSocket>[0]> = {}) {
  const socket = await connectAgentSocket<AdapterEvent>(options(url, extra));
  cleanups.push(() => socket.close());
  return socket;
}

async function connectError(promise: Promise<unknown>): Promise<AgentConnectError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentConnectError);
  return err as AgentConnectError;
}

/** Collects text frames and resolves when a predicate over them holds. */
function collectText(socket: AgentSocket<unknown>) {
  const texts: string[] = [];
  const waiter = eventWaiter();
  socket.on('text', (t) => {
    texts.push(t);
    waiter.notify();
  });
  return {
    texts,
    until: (check: (texts: string[]) => boolean): Promise<void> => waiter.until(() => check(texts)),
  };
}

async function listen<T extends HttpServer | NetServer>(server: T): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A raw WebSocket server for misbehaving-peer cases. */
async function rawServer(onConnection: (ws: WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', onConnection);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  );
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
}

describe('agent WebSocket client against the native example agent', () => {
  it('connects with a verified signature, exchanges JSON and gets binary audio echoed', async () => {
    const agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    cleanups.push(() => agent.close());
    const callId = randomUUID();
    const socket = await connect(`${agent.url}calls?route=echo`, { secret: SECRET, callId });
    const text = collectText(socket);
    const echoed: Buffer[] = [];
    socket.on('binary', (b) => echoed.push(b));

    const session = await agent.waitForSession(0);
    expect(session.handshake.verified).toBe(true);
    expect(session.handshake.callId).toBe(callId);
    expect(session.handshake.url).toBe(`${agent.url}calls?route=echo`);

    const now = Date.now();
    socket.sendJson({
      event: 'incoming',
      callId,
      timestamp: now,
      protocolVersion: 1,
      caller: '100',
      callee: '200',
      route: 'echo',
      direction: 'inbound',
      channel: { mode: 'stasis', id: '1.1' },
      audio: { encoding: 'pcm16', sampleRate: 8000, frameMs: 20 },
      customParameters: {},
    });
    await text.until((t) => t.length >= 1);
    expect(parseAgentMessage(text.texts[0]!)).toEqual({ ok: true, command: { command: 'accept' } });

    socket.sendJson({ event: 'answer', callId, timestamp: now });
    const frames = Array.from({ length: 10 }, (_, i) => Buffer.alloc(320, i + 1));
    for (const f of frames) expect(socket.sendBinary(f)).toBe(true);
    await session.waitForAudioBytes(3200);
    await new Promise<void>((resolve) => {
      const check = (): void => (echoed.length >= 10 ? resolve() : void socket.once('binary', check));
      check();
    });
    expect(Buffer.concat(echoed)).toEqual(Buffer.concat(frames));
    expect(session.eventNames).toEqual(['incoming', 'answer']);
    expect(socket.stats).toMatchObject({ sentJson: 2, sentAudioFrames: 10, droppedAudioFrames: 0, receivedBinary: 10 });

    const closed = await socket.close(1000, 'call ended');
    expect(closed).toEqual({ code: 1000, reason: 'call ended', initiator: 'adapter' });
    expect(await session.waitForClose()).toEqual({ code: 1000, reason: 'call ended' });
    // Idempotent: a second close resolves with the same result.
    expect(await socket.close()).toBe(closed);
    expect(socket.sendJson({ event: 'answer', callId, timestamp: now })).toBe(false);
  });

  it('is refused with AGENT_AUTH_REJECTED (401, not retryable) for a wrong or missing signature', async () => {
    const agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    cleanups.push(() => agent.close());

    const wrong = await connectError(connectAgentSocket(options(agent.url, { secret: 'not-the-secret' })));
    expect(wrong).toMatchObject({ code: 'AGENT_AUTH_REJECTED', status: 401, retryable: false });
    expect(wrong.category).toBe('authentication');
    const missing = await connectError(connectAgentSocket(options(agent.url)));
    expect(missing.code).toBe('AGENT_AUTH_REJECTED');

    await agent.waitForRejectedHandshake(2);
    expect(agent.rejectedHandshakes.map((r) => r.reason)).toEqual(['signature_mismatch', 'missing_timestamp']);
    expect(agent.sessions).toHaveLength(0);
  });

  it('classifies a refused connection as AGENT_UNREACHABLE (retryable)', async () => {
    const port = await freePort();
    const err = await connectError(connectAgentSocket(options(`ws://127.0.0.1:${port}/`)));
    expect(err).toMatchObject({ code: 'AGENT_UNREACHABLE', retryable: true, category: 'connectivity' });
    expect(err.details).toMatchObject({ errno: 'ECONNREFUSED' });
  });

  it('classifies a handshake that never completes as AGENT_UNREACHABLE (timeout), and honours abort', async () => {
    const held: Socket[] = [];
    const silent = createNetServer((s) => held.push(s));
    const port = await listen(silent);
    // Registered after the server, so it runs first: the server only finishes closing once these are gone.
    cleanups.push(() => {
      for (const s of held) s.destroy();
    });

    const timedOut = await connectError(
      connectAgentSocket(options(`ws://127.0.0.1:${port}/`, { connectTimeoutMs: 200 })),
    );
    expect(timedOut).toMatchObject({ code: 'AGENT_UNREACHABLE', retryable: true, category: 'timeout' });

    const controller = new AbortController();
    const pending = connectAgentSocket(options(`ws://127.0.0.1:${port}/`, { signal: controller.signal }));
    controller.abort(new Error('call hung up'));
    const aborted = await connectError(pending);
    expect(aborted).toMatchObject({ code: 'AGENT_CONNECT_ABORTED', retryable: false });
  });

  it('classifies other HTTP answers as AGENT_HANDSHAKE_FAILED, retryable only for 5xx', async () => {
    const http = createHttpServer((req, res) => {
      res.writeHead(req.url === '/down' ? 503 : 404).end();
    });
    const port = await listen(http);
    const down = await connectError(connectAgentSocket(options(`ws://127.0.0.1:${port}/down`)));
    expect(down).toMatchObject({ code: 'AGENT_HANDSHAKE_FAILED', status: 503, retryable: true });
    const missing = await connectError(connectAgentSocket(options(`ws://127.0.0.1:${port}/nothing`)));
    expect(missing).toMatchObject({ code: 'AGENT_HANDSHAKE_FAILED', status: 404, retryable: false });
  });

  it('rejects a URL that is not ws:// or wss:// without connecting', async () => {
    const err = await connectError(connectAgentSocket(options('http://127.0.0.1:1/')));
    expect(err).toMatchObject({ code: 'AGENT_URL_INVALID', retryable: false });
  });

  it('drops audio, never JSON, while the agent does not read', async () => {
    const received = { binary: 0, texts: [] as string[] };
    let notify: () => void = () => {};
    let peer: WebSocket | undefined;
    const url = await rawServer((ws) => {
      peer = ws;
      ws.pause();
      ws.on('message', (data, isBinary) => {
        if (isBinary) received.binary += 1;
        else received.texts.push(String(data));
        notify();
      });
    });
    const maxBufferedBytes = 32 * 1024;
    const socket = await connect(url, { maxBufferedBytes });
    const frame = Buffer.alloc(640, 7);

    let sent = 0;
    for (let i = 0; i < 200_000 && socket.stats.droppedAudioFrames === 0; i += 1) {
      if (socket.sendBinary(frame)) sent += 1;
    }
    expect(socket.stats.droppedAudioFrames).toBeGreaterThan(0);
    // Once over the bound, every further audio frame is refused while nothing drains...
    for (let i = 0; i < 100; i += 1) expect(socket.sendBinary(frame)).toBe(false);
    expect(socket.bufferedAmount).toBeLessThanOrEqual(maxBufferedBytes);
    // ...but control messages are still queued.
    const callId = 'c1';
    for (let i = 0; i < 3; i += 1)
      expect(socket.sendJson({ event: 'mark', callId, timestamp: i, name: `m${i}` })).toBe(true);
    expect(socket.bufferedAmount).toBeGreaterThan(0);
    expect(socket.stats).toMatchObject({ sentAudioFrames: sent, droppedAudioFrames: 101, sentJson: 3 });

    peer!.resume();
    await new Promise<void>((resolve) => {
      notify = () => {
        if (received.texts.length >= 3) resolve();
      };
      notify();
    });
    expect(received.binary).toBe(sent);
    expect(received.texts.map((t) => (JSON.parse(t) as { name: string }).name)).toEqual(['m0', 'm1', 'm2']);
  });

  it('delivers frames and the close an agent sends before listeners are attached, in order', async () => {
    const url = await rawServer((ws) => {
      ws.send('{"command":"ringing"}');
      ws.send(Buffer.alloc(4, 1));
      ws.send('{"command":"hangup","reason":"bye"}');
      ws.close(4000, 'done');
    });
    const socket = await connectAgentSocket(options(url));
    cleanups.push(() => socket.close());
    // Wait for the whole exchange to have arrived before anyone listens.
    const info = await socket.closed;
    expect(info).toEqual({ code: 4000, reason: 'done', initiator: 'agent' });
    const order: string[] = [];
    const closedEvent = new Promise<AgentSocketClose>((resolve) => socket.on('close', resolve));
    socket.on('text', (t) => order.push(t));
    socket.on('binary', (b) => order.push(`binary:${b.length}`));
    expect(await closedEvent).toEqual(info);
    expect(order).toEqual(['{"command":"ringing"}', 'binary:4', '{"command":"hangup","reason":"bye"}']);
  });

  it('reports a frame over the size limit as a protocol error, then the close', async () => {
    const url = await rawServer((ws) => {
      ws.send(Buffer.alloc(4096));
    });
    const socket = await connectAgentSocket(options(url, { maxMessageBytes: 1024 }));
    cleanups.push(() => socket.close());
    const errors: string[] = [];
    socket.on('error', (err) => errors.push(err.code));
    const closed = await new Promise<AgentSocketClose>((resolve) => socket.on('close', resolve));
    expect(errors).toEqual(['AGENT_PROTOCOL_VIOLATION']);
    expect(closed.initiator).not.toBe('adapter');
    expect(socket.stats.receivedBinary).toBe(0);
  });

  it('reports a lost connection as initiated by the network', async () => {
    const url = await rawServer((ws) => {
      ws.on('message', () => ws.terminate());
    });
    const socket = await connect(url);
    const closed = new Promise<AgentSocketClose>((resolve) => socket.on('close', resolve));
    socket.sendJson({ event: 'answer', callId: 'c', timestamp: 1 });
    expect(await closed).toMatchObject({ code: 1006, initiator: 'network' });
    expect(socket.isOpen).toBe(false);
    expect(socket.sendBinary(Buffer.alloc(2))).toBe(false);
  });
});

describe('connectAgentSocketWithRetry', () => {
  it('retries AGENT_UNREACHABLE up to maxAttempts, then throws the last error', async () => {
    const port = await freePort();
    const retries: number[] = [];
    const err = await connectError(
      connectAgentSocketWithRetry({
        ...options(`ws://127.0.0.1:${port}/`),
        policy: { initialDelayMs: 1, maxDelayMs: 4, multiplier: 2, jitter: 0, maxAttempts: 3 },
        onRetry: (info) => retries.push(info.attempt),
      }),
    );
    expect(err.code).toBe('AGENT_UNREACHABLE');
    expect(retries).toEqual([1, 2]);
  });

  it('stops at once on AGENT_AUTH_REJECTED', async () => {
    const agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    cleanups.push(() => agent.close());
    const retries: number[] = [];
    const err = await connectError(
      connectAgentSocketWithRetry({
        ...options(agent.url, { secret: 'wrong' }),
        policy: { initialDelayMs: 1, maxDelayMs: 4, multiplier: 2, jitter: 0, maxAttempts: 5 },
        onRetry: (info) => retries.push(info.attempt),
      }),
    );
    expect(err.code).toBe('AGENT_AUTH_REJECTED');
    expect(retries).toEqual([]);
    expect(agent.rejectedHandshakes).toHaveLength(1);
  });

  it('succeeds on a later attempt after a retryable failure', async () => {
    const agent = await startNativeEchoAgent({ mode: 'echo', secret: SECRET });
    cleanups.push(() => agent.close());
    const dead = `ws://127.0.0.1:${await freePort()}/`;
    const failures: string[] = [];
    // The first attempt goes to a dead address, the second to the live agent.
    const socket = await runWithReconnect(
      (attempt) => connectAgentSocket(options(attempt === 1 ? dead : agent.url, { secret: SECRET })),
      {
        policy: { initialDelayMs: 1, maxDelayMs: 4, multiplier: 2, jitter: 0, maxAttempts: 3 },
        signal: new AbortController().signal,
        onRetry: (info) => failures.push((info.error as AgentConnectError).code),
      },
    );
    cleanups.push(() => socket.close());
    expect(failures).toEqual(['AGENT_UNREACHABLE']);
    expect(socket.isOpen).toBe(true);
    expect((await agent.waitForSession(0)).handshake.verified).toBe(true);
  });
});
