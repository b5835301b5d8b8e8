/**
 * A child process for test/integration/media-worker/upgrade-handoff.test.ts: takes HTTP upgrades handed over with
 * their sockets, completes the WebSocket handshake and answers each text message with `echo:<text>`.
 */
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { HandedUpgrade } from '../../src/protocols/media-worker/messages.js';
import { completeHandedUpgrade } from '../../src/transports/media-worker/upgrade-handoff.js';

const wss = new WebSocketServer({ noServer: true });
process.on('message', (m: { upgrade: HandedUpgrade }, socket: Socket | undefined) => {
  if (!socket) return void process.send?.({ error: 'no socket' });
  completeHandedUpgrade(wss, m.upgrade, socket, (ws) => {
    ws.on('message', (data) => ws.send(`echo:${String(data)}`));
    return ws;
  }).catch((err: unknown) => process.send?.({ error: String(err) }));
});
process.on('disconnect', () => process.exit(0));
