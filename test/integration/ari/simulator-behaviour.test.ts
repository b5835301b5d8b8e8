/** Behaviours of the simulated Asterisk beyond the replayed scenarios (recorded facts and the driving API). */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatedAsterisk } from '../../../src/simulator/ari/index.js';
import type { AriClient, AriEventStream } from '../../../src/transports/ari/index.js';
import {
  APP,
  clientFor,
  connectedStream,
  type EventCollector,
  PASSWORD,
  startSim,
  streamFor,
  USER,
} from './ari-harness.js';

describe('simulated Asterisk behaviour', () => {
  let sim: SimulatedAsterisk;
  let client: AriClient;
  let stream: AriEventStream;
  let events: EventCollector;

  afterEach(async () => {
    await stream?.close();
    await sim?.close();
  });

  async function setup(): Promise<void> {
    sim = await startSim();
    client = clientFor(sim);
    ({ stream, events } = await connectedStream(sim));
  }

  it('refuses an inbound call into an application without an events connection', async () => {
    sim = await startSim();
    stream = streamFor(sim);
    await expect(sim.placeInboundCall()).rejects.toThrow(/not registered/);
    expect(sim.channels()).toEqual([]);
  });

  it('keeps calls and the application registered while the events socket is away (fact 22)', async () => {
    await setup();
    const call = await sim.placeInboundCall();
    const bridge = await client.bridges.create({ type: 'mixing' });
    await client.bridges.addChannel(bridge.id, { channel: call.id });
    await events.next('ChannelEnteredBridge');
    await stream.close();
    const apps = await client.applications.list();
    expect(apps).toMatchObject([{ name: APP, channel_ids: [call.id], bridge_ids: [bridge.id] }]);
    expect((await client.channels.get(call.id)).state).toBe('Up');
    await client.channels.setVariable(call.id, 'WHILE_AWAY', '1');
    expect(sim.eventLog().at(-1)).toMatchObject({ delivered: false, event: { type: 'ChannelVarset' } });
    await call.hangup();
    await client.bridges.destroy(bridge.id);
    expect(await client.applications.list()).toEqual([]);
  });

  it('moves a channel between bridges and re-adds it to its own bridge as recorded (E24, E25)', async () => {
    await setup();
    const call = await sim.placeInboundCall();
    const b1 = await client.bridges.create({ type: 'mixing', name: 'one' });
    const b2 = await client.bridges.create({ type: 'mixing', name: 'two' });
    const from = events.events.length;
    await client.bridges.addChannel(b1.id, { channel: call.id });
    await client.bridges.addChannel(b1.id, { channel: call.id });
    await client.bridges.addChannel(b2.id, { channel: call.id });
    await events.until((e) => (e.length >= from + 5 ? true : undefined), 'bridge events');
    expect(events.events.slice(from).map((e) => `${e.type}:${'bridge' in e && e.bridge ? e.bridge.name : ''}`)).toEqual(
      [
        'ChannelEnteredBridge:one',
        'ChannelLeftBridge:one',
        'ChannelEnteredBridge:one',
        'ChannelLeftBridge:one',
        'ChannelEnteredBridge:two',
      ],
    );
    expect((await client.bridges.get(b1.id)).channels).toEqual([]);
    expect((await client.bridges.get(b2.id)).channels).toEqual([call.id]);
  });

  it('takes the channels out of a bridge that is destroyed, then reports BridgeDestroyed', async () => {
    await setup();
    const call = await sim.placeInboundCall();
    const bridge = await client.bridges.create({ type: 'mixing' });
    await client.bridges.addChannel(bridge.id, { channel: call.id });
    await client.bridges.destroy(bridge.id);
    const destroyed = await events.next('BridgeDestroyed');
    expect(destroyed.bridge.channels).toEqual([]);
    expect(events.events.map((e) => e.type)).toEqual([
      'StasisStart',
      'ChannelEnteredBridge',
      'ChannelLeftBridge',
      'BridgeDestroyed',
    ]);
    expect(call.inStasis).toBe(true);
  });

  it('simulates a WebSocket externalMedia channel: 422 until its media connects, then StasisStart with no args', async () => {
    await setup();
    const call = await sim.placeInboundCall();
    const bridge = await client.bridges.create({ type: 'mixing' });
    await client.bridges.addChannel(bridge.id, { channel: call.id });
    const ws = await client.channels.externalMedia({
      app: APP,
      transport: 'websocket',
      encapsulation: 'none',
      connection_type: 'server',
      format: 'slin16',
      transport_data: 'f(json)',
    });
    expect(ws.name).toMatch(/^WebSocket\/INCOMING\/0x[0-9a-f]+$/);
    expect(ws.channelvars?.['MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE']).toBe('640');
    const dial = await events.next('Dial', (e) => e.peer.id === ws.id);
    expect([dial.dialstatus, dial.dialstring]).toEqual(['', 'INCOMING/f(json)']);
    await expect(client.bridges.addChannel(bridge.id, { channel: ws.id })).rejects.toMatchObject({
      status: 422,
      ariMessage: 'Channel not in Stasis application',
    });
    expect(sim.completeWebSocketMedia(ws.id)).toBe(true);
    const start = await events.next('StasisStart', (e) => e.channel.id === ws.id);
    expect(start.args).toEqual([]);
    await client.bridges.addChannel(bridge.id, { channel: ws.id });
    await events.next('ChannelConnectedLine', (e) => e.channel.id === ws.id);
  });

  it('creates RTP externalMedia channels with UNICASTRTP variables and rejects bad transports', async () => {
    await setup();
    const rtp = await client.channels.externalMedia({ app: APP, external_host: '127.0.0.1:4000', format: 'ulaw' });
    expect(rtp.name).toMatch(/^UnicastRTP\/127\.0\.0\.1:4000-0x/);
    expect(Object.keys(rtp.channelvars ?? {})).toEqual(['UNICASTRTP_LOCAL_ADDRESS', 'UNICASTRTP_LOCAL_PORT']);
    await events.next('StasisStart', (e) => e.channel.id === rtp.id);
    await expect(
      client.channels.externalMedia({ app: APP, external_host: 'h:1', format: 'ulaw', transport: 'tcp' }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('reports talking, and a restart drops every call and connection without events', async () => {
    await setup();
    const call = await sim.placeInboundCall();
    call.talk(10);
    const finished = await events.next('ChannelTalkingFinished');
    expect(finished.duration).toBe(10);
    const before = events.events.length;
    const reconnected = new Promise((resolve) => stream.once('reconnected', resolve));
    await sim.restart();
    await reconnected;
    expect(sim.channels()).toEqual([]);
    expect(call.alive).toBe(false);
    expect((await call.ended).mode).toBe('silent');
    expect(events.events.length).toBe(before);
    const next = await sim.placeInboundCall();
    expect(next.id).not.toBe(call.id);
  });

  it('lets a test wait for a channel event, and fails the wait when the channel ends without it', async () => {
    await setup();
    const call = await sim.placeInboundCall();
    expect((await call.waitForEvent('StasisStart')).channel.id).toBe(call.id);
    const dtmf = call.waitForEvent('ChannelDtmfReceived', (e) => e.digit === '7');
    call.sendDtmf('17', 100);
    expect((await dtmf).duration_ms).toBe(100);
    const never = call.waitForEvent('ChannelTalkingStarted');
    await call.hangup();
    await expect(never).rejects.toThrow(/ended/);
    await expect(call.waitForEvent('ChannelTalkingStarted')).rejects.toThrow(/ended/);
  });

  it('answers unknown resources with 404 and wrong methods with 405', async () => {
    await setup();
    const auth = { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };
    const unknown = await fetch(`${sim.url}/ari/nothing-here`, { headers: auth });
    expect(unknown.status).toBe(404);
    const wrong = await fetch(`${sim.url}/ari/bridges`, { method: 'DELETE', headers: auth });
    expect([wrong.status, await wrong.json()]).toEqual([405, { message: 'Invalid method' }]);
  });

  it('puts subscribeAll on the events URL when asked', async () => {
    await setup();
    const all = streamFor(sim, { subscribeAll: true, app: [APP, 'other'] });
    expect(all.url).toBe(`ws://127.0.0.1:${sim.port}/ari/events?app=${APP}%2Cother&subscribeAll=true`);
    await all.start();
    expect(sim.isAppConnected('other')).toBe(true);
    await all.close();
    await expect(all.start()).resolves.toBeUndefined();
    const fresh = streamFor(sim);
    await fresh.close();
    await expect(fresh.start()).rejects.toMatchObject({ code: 'ARI_EVENTS_CLOSED' });
  });
});
