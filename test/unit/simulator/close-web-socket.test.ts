import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { closeWebSocket } from '../../../src/simulator/close-web-socket.js';
import { waitFor } from '../../support/wait.js';

describe('closeWebSocket (the close() of simulated agent sessions)', () => {
  let server: WebSocketServer | undefined;
  afterEach(async () => {
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    server = undefined;
  });

  async function connect(): Promise<{ client: WebSocket; closes: number[] }> {
    const closes: number[] = [];
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((done) => server!.once('listening', done));
    server.on('connection', (ws) => ws.on('close', (code) => closes.push(code)));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await new Promise<void>((done) => client.once('open', () => done()));
    return { client, closes };
  }

  it('is idempotent: two calls, one close frame, both resolve once the socket has closed', async () => {
    const { client, closes } = await connect();
    await Promise.all([closeWebSocket(client, 4000, 'bye'), closeWebSocket(client, 4000, 'bye')]);
    expect(client.readyState).toBe(WebSocket.CLOSED);
    await expect(closeWebSocket(client)).resolves.toBeUndefined();
    await waitFor(() => closes.length > 0, 5000, 'server saw the close');
    expect(closes).toEqual([4000]);
  });

  it('resolves even for a code ws refuses to send (the socket is terminated)', async () => {
    const { client } = await connect();
    await closeWebSocket(client, 1006);
    expect(client.readyState).toBe(WebSocket.CLOSED);
  });
});
