import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedJsonPost } from '../../../src/jobs/signed-post.js';
import { verifyWebhookSignature } from '../../../src/jobs/webhook-signature.js';

const SECRET = 'post_secret_0123456789abcdef';
let server: http.Server;
let base: string;
const seen: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string; socket: unknown }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body, socket: req.socket });
      switch (req.url) {
        case '/ok':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
          return;
        case '/busy':
          res.writeHead(429, { 'retry-after': '2' }).end();
          return;
        case '/moved':
          res.writeHead(302, { location: '/ok' }).end();
          return;
        case '/big':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(100_000));
          return;
        case '/hang':
          return; // never answers
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, extra: Partial<Parameters<typeof signedJsonPost>[0]> = {}) =>
  signedJsonPost({ url: `${base}${path}`, secret: SECRET, body: '{"a":1}', timeoutMs: 2000, ...extra });

describe('signedJsonPost', () => {
  it('sends the signed body with its headers and reads the answer, reusing the connection', async () => {
    const first = await post('/ok', { idempotencyKey: 'c:t', attempt: 2, eventId: 'e1' });
    expect(first).toEqual({
      kind: 'response',
      status: 200,
      body: '{"ok":true}',
      contentType: 'application/json',
      retryAfterMs: null,
    });
    await post('/ok');
    const [a, b] = seen.slice(-2);
    expect(a?.body).toBe('{"a":1}');
    expect(a?.headers['x-ava-idempotency-key']).toBe('c:t');
    expect(a?.headers['x-ava-attempt']).toBe('2');
    expect(a?.headers['x-ava-event-id']).toBe('e1');
    expect(verifyWebhookSignature(SECRET, String(a?.headers['x-ava-signature']), a?.body ?? '', 60)).toBe(true);
    expect(b?.socket).toBe(a?.socket);
  });

  it('reports statuses as they are: Retry-After is read, a redirect is not followed', async () => {
    expect(await post('/busy')).toMatchObject({ kind: 'response', status: 429, retryAfterMs: 2000 });
    expect(await post('/moved')).toMatchObject({ kind: 'response', status: 302 });
    expect(seen.filter((r) => r.path === '/ok').length).toBe(2);
  });

  it('reads at most maxResponseBytes of the answer', async () => {
    const r = await post('/big', { maxResponseBytes: 1000 });
    expect(r).toMatchObject({ kind: 'response', status: 200 });
    expect(r.kind === 'response' && r.body).toBe('x'.repeat(1000));
  });

  it('ends in timeout, aborted or network outcomes instead of throwing', async () => {
    expect(await post('/hang', { timeoutMs: 150 })).toEqual({ kind: 'timeout', timeoutMs: 150 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await post('/hang', { signal: ac.signal })).toEqual({ kind: 'aborted' });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await signedJsonPost({
      url: `http://127.0.0.1:${port}/`,
      secret: SECRET,
      body: '{}',
      timeoutMs: 2000,
    });
    expect(refused).toMatchObject({ kind: 'network' });
    expect(refused.kind === 'network' && refused.error).toMatch(/ECONNREFUSED/);
    expect(await signedJsonPost({ url: 'ftp://127.0.0.1/', secret: SECRET, body: '{}', timeoutMs: 100 })).toMatchObject(
      {
        kind: 'network',
        error: expect.stringMatching(/unsupported protocol/),
      },
    );
  });
});
