/**
 * The simulated Asterisk with its default AudioSocket dialer against a real TCP AudioSocket server on port 0:
 * connection during externalMedia, UUID first, audio only once bridged, caller DTMF as 0x03, hangup by FIN,
 * and a server-side close ending the channel as recorded in 04/04b.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AudioSocketDecoder } from '../../../src/protocols/audiosocket/decoder.js';
import type { AudioSocketMessage } from '../../../src/protocols/audiosocket/messages.js';
import { startSimulatedAsterisk } from '../../../src/simulator/ari/index.js';
import { APP, clientFor, connectedStream, PASSWORD, USER } from './ari-harness.js';

interface ServerConn {
  readonly socket: Socket;
  readonly messages: AudioSocketMessage[];
  readonly ended: Promise<void>;
  waitFor(match: (m: AudioSocketMessage) => boolean): Promise<AudioSocketMessage>;
}

async function audioSocketServer(): Promise<{
  server: Server;
  port: number;
  conns: ServerConn[];
  next(): Promise<ServerConn>;
}> {
  const conns: ServerConn[] = [];
  const waiting: Array<(c: ServerConn) => void> = [];
  const server = createServer((socket) => {
    const decoder = new AudioSocketDecoder();
    const messages: AudioSocketMessage[] = [];
    const listeners: Array<() => void> = [];
    socket.on('data', (chunk) => {
      decoder.push(chunk, messages);
      for (const l of [...listeners]) l();
    });
    socket.on('error', () => undefined);
    const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
    const conn: ServerConn = {
      socket,
      messages,
      ended,
      waitFor: (match) =>
        new Promise((resolve) => {
          const check = () => {
            const found = messages.find(match);
            if (!found) return;
            listeners.splice(listeners.indexOf(check), 1);
            resolve(found);
          };
          listeners.push(check);
          check();
        }),
    };
    conns.push(conn);
    waiting.shift()?.(conn);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let taken = 0;
  return {
    server,
    port,
    conns,
    next: () => {
      const index = taken++;
      const ready = conns[index];
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

describe('simulated Asterisk with the AudioSocket dialer', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('connects during externalMedia, sends audio once bridged, forwards DTMF, hangs up with FIN', async () => {
    const as = await audioSocketServer();
    cleanups.push(async () => {
      for (const c of as.conns) c.socket.destroy();
      as.server.close();
    });
    const sim = await startSimulatedAsterisk({ username: USER, password: PASSWORD, app: APP });
    cleanups.push(() => sim.close());
    const { stream, events } = await connectedStream(sim);
    cleanups.push(() => stream.close());
    const client = clientFor(sim);

    const tone = new Int16Array(8000).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    const call = await sim.placeInboundCall({ audio: { type: 'samples', samples: tone, loop: true } });
    const bridge = await client.bridges.create({ type: 'mixing' });
    const uuid = '0fba9af5-91f9-4d71-a12e-0bf9fe361cde';
    const ext = await client.channels.externalMedia({
      app: APP,
      external_host: `127.0.0.1:${as.port}`,
      encapsulation: 'audiosocket',
      transport: 'tcp',
      format: 'slin',
      data: uuid,
    });
    const conn = await as.next();
    const first = await conn.waitFor(() => true);
    expect(first).toEqual({ type: 'uuid', uuid });
    expect(conn.messages.filter((m) => m.type === 'audio')).toEqual([]);

    await client.bridges.addChannel(bridge.id, { channel: [call.id, ext.id] });
    const audio = await conn.waitFor((m) => m.type === 'audio' && m.payload.some((b) => b !== 0));
    expect(audio).toMatchObject({ type: 'audio', kind: 0x10 });
    expect(audio.type === 'audio' && audio.payload.length).toBe(320);

    call.sendDtmf('5');
    await events.next('ChannelDtmfReceived', (e) => e.digit === '5');
    expect(await conn.waitFor((m) => m.type === 'dtmf')).toEqual({ type: 'dtmf', digit: '5' });

    await client.channels.hangup(ext.id);
    await conn.ended;
    expect(conn.messages.some((m) => m.type === 'hangup')).toBe(false);
    await events.next('ChannelDestroyed', (e) => e.channel.id === ext.id);
    await call.hangup();
    await client.bridges.destroy(bridge.id);
    expect(sim.channels()).toEqual([]);
  });

  it('hangs up the AudioSocket channel when the server closes the connection; the caller stays in the bridge', async () => {
    const as = await audioSocketServer();
    cleanups.push(async () => {
      for (const c of as.conns) c.socket.destroy();
      as.server.close();
    });
    const sim = await startSimulatedAsterisk({ username: USER, password: PASSWORD, app: APP });
    cleanups.push(() => sim.close());
    const { stream, events } = await connectedStream(sim);
    cleanups.push(() => stream.close());
    const client = clientFor(sim);
    const call = await sim.placeInboundCall();
    const bridge = await client.bridges.create({ type: 'mixing' });
    const ext = await client.channels.externalMedia({
      app: APP,
      external_host: `127.0.0.1:${as.port}`,
      encapsulation: 'audiosocket',
      transport: 'tcp',
      format: 'slin16',
      data: 'a074f757-dc6f-4105-a52b-9e1bdd6d2127',
    });
    await client.bridges.addChannel(bridge.id, { channel: [call.id, ext.id] });
    const conn = await as.next();
    const audio = await conn.waitFor((m) => m.type === 'audio');
    expect(audio).toMatchObject({ kind: 0x12 });
    const from = events.events.length;
    conn.socket.end();
    await events.next('ChannelDestroyed', (e) => e.channel.id === ext.id, from);
    const sequence = events.events
      .slice(from)
      .map((e) => (e.type === 'ChannelVarset' ? `${e.type}:${e.variable}` : e.type));
    expect(sequence).toEqual([
      'ChannelVarset:BRIDGEPEER',
      'ChannelVarset:BRIDGEPVTCALLID',
      'ChannelLeftBridge',
      'StasisEnd',
      'ChannelVarset:STASISSTATUS',
      'ChannelDestroyed',
    ]);
    expect((await client.bridges.get(bridge.id)).channels).toEqual([call.id]);
    expect((await client.channels.get(call.id)).state).toBe('Up');
    await expect(client.channels.get(ext.id)).rejects.toMatchObject({ status: 404 });
  });

  it('answers externalMedia with 500 when nothing listens on the AudioSocket port', async () => {
    const port = 1; // nothing listens on port 1
    const sim = await startSimulatedAsterisk({ username: USER, password: PASSWORD, app: APP });
    cleanups.push(() => sim.close());
    const { stream } = await connectedStream(sim);
    cleanups.push(() => stream.close());
    const err = await clientFor(sim)
      .channels.externalMedia({
        app: APP,
        external_host: `127.0.0.1:${port}`,
        encapsulation: 'audiosocket',
        transport: 'tcp',
        format: 'slin',
        data: '77be2217-6108-4bc0-9ca5-1b98e77b08c5',
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      status: 500,
      ariMessage: 'An internal error prevented this request from being handled',
    });
    expect(sim.channels()).toEqual([]);
  });
});
