import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatedAsterisk } from '../../../src/simulator/ari/index.js';
import { AriClient, type AriEventStream, AriHttpError, AriRequestError } from '../../../src/transports/ari/index.js';
import { APP, clientFor, connectedStream, type EventCollector, PASSWORD, startSim, USER } from './ari-harness.js';

async function rejection(p: Promise<unknown>): Promise<AriHttpError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AriHttpError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

describe('AriClient against the simulated Asterisk', () => {
  let sim: SimulatedAsterisk;
  let client: AriClient;
  let stream: AriEventStream;
  let events: EventCollector;

  beforeEach(async () => {
    sim = await startSim();
    client = clientFor(sim);
    ({ stream, events } = await connectedStream(sim));
  });

  afterEach(async () => {
    await stream.close();
    await sim.close();
  });

  it('reads asterisk info, modules, applications and endpoints', async () => {
    const info = await client.asterisk.info();
    expect(info.system?.version).toBe('22.10.1');
    expect(info.status?.startup_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    const only = await client.asterisk.info({ only: ['system'] });
    expect(Object.keys(only)).toEqual(['system']);
    const modules = await client.asterisk.modules();
    expect(modules.map((m) => m.name)).toContain('res_audiosocket.so');
    expect((await client.asterisk.module('res_ari.so')).status).toBe('Running');
    expect((await rejection(client.asterisk.module('nope.so'))).code).toBe('ARI_NOT_FOUND');
    expect(await client.applications.list()).toEqual([
      {
        name: APP,
        channel_ids: [],
        bridge_ids: [],
        endpoint_ids: [],
        device_names: [],
        events_allowed: [],
        events_disallowed: [],
      },
    ]);
    expect((await client.applications.get(APP)).name).toBe(APP);
    expect((await rejection(client.applications.get('other'))).status).toBe(404);
    const endpoints = await client.endpoints.list();
    expect(endpoints.map((e) => `${e.technology}/${e.resource}`)).toEqual(['PJSIP/trunk', 'PJSIP/caller']);
  });

  it('lists, gets, answers, rings and hangs up channels with the recorded error bodies', async () => {
    const call = await sim.placeInboundCall({ caller: '+4930123', extension: '100' });
    const start = await events.next('StasisStart');
    expect(start.channel.id).toBe(call.id);
    expect(start.channel.state).toBe('Up');
    expect((await client.channels.list()).map((c) => c.id)).toEqual([call.id]);
    const got = await client.channels.get(call.id);
    expect(got.caller).toEqual({ name: '+4930123', number: '+4930123' });
    expect(got.dialplan).toEqual({
      context: 'from-trunk',
      exten: '100',
      priority: 3,
      app_name: 'Stasis',
      app_data: APP,
    });
    await client.channels.answer(call.id);
    await client.channels.ring(call.id);

    const notFound = await rejection(client.channels.get('no-such-channel'));
    expect(notFound).toMatchObject({
      status: 404,
      code: 'ARI_NOT_FOUND',
      category: 'not_found',
      retryable: false,
      method: 'GET',
      path: '/ari/channels/no-such-channel',
      ariMessage: 'Channel not found',
    });
    expect((await rejection(client.channels.answer('no-such-channel'))).ariMessage).toBe('Channel not found');
    const badReason = await rejection(client.channels.hangup(call.id, { reason: 'nosuchreason' as never }));
    expect(badReason).toMatchObject({ status: 400, code: 'ARI_BAD_REQUEST' });
    expect(badReason.ariMessage).toBe('Invalid reason for hangup reason provided');

    await client.channels.hangup(call.id, { reason: 'normal' });
    const hr = await events.next('ChannelHangupRequest');
    expect([hr.cause, hr.soft]).toEqual([32, true]);
    await events.next('StasisEnd');
    expect((await call.ended).mode).toBe('ari');
    expect(await client.channels.list()).toEqual([]);
    expect((await rejection(client.channels.hangup(call.id))).status).toBe(404);
  });

  it('answers 409 for channel operations and 422 for bridge operations on a channel outside Stasis', async () => {
    const playback = await sim.placeInboundCall({ enterStasis: false });
    const bridge = await client.bridges.create({ type: 'mixing', name: 'b' });
    const answer = await rejection(client.channels.answer(playback.id));
    expect(answer).toMatchObject({
      status: 409,
      code: 'ARI_CONFLICT',
      ariMessage: 'Channel not in Stasis application',
    });
    const add = await rejection(client.bridges.addChannel(bridge.id, { channel: playback.id }));
    expect(add).toMatchObject({
      status: 422,
      code: 'ARI_UNPROCESSABLE',
      ariMessage: 'Channel not in Stasis application',
    });
    await client.channels.hangup(playback.id);
    expect(sim.channels()).toEqual([]);
    await client.bridges.destroy(bridge.id);
  });

  it('originates a call that rings, answers and enters Stasis with its args', async () => {
    sim.setEndpointBehaviour('PJSIP/trunk', 'answer', { ringMs: 'manual' });
    const ch = await client.channels.originate({
      endpoint: 'PJSIP/trunk',
      app: APP,
      appArgs: ['outbound', 'x'],
      callerId: '"Agent" <1000>',
      timeout: 30,
      variables: { FOO: 'bar' },
      channelId: 'my-call-1',
    });
    expect(ch).toMatchObject({ id: 'my-call-1', state: 'Down', caller: { name: 'Agent', number: '1000' } });
    expect(ch.name).toMatch(/^PJSIP\/trunk-[0-9a-f]{8}$/);
    await events.next('Dial', (e) => e.dialstatus === 'RINGING');
    expect((await client.channels.get(ch.id)).state).toBe('Ringing');
    expect(await client.channels.getVariable(ch.id, 'FOO')).toBe('bar');
    expect(sim.channel(ch.id)?.answer()).toBe(true);
    const start = await events.next('StasisStart', (e) => e.channel.id === ch.id);
    expect(start.args).toEqual(['outbound', 'x']);
    expect(start.channel.dialplan.app_data).toBe(`${APP},outbound,x`);

    const dup = await rejection(
      client.channels.originate({ endpoint: 'PJSIP/trunk', app: APP, channelId: 'my-call-1' }),
    );
    expect(dup.status).toBe(409);
    const unknown = await rejection(client.channels.originate({ endpoint: 'PJSIP/nosuchendpoint', app: APP }));
    expect(unknown).toMatchObject({ status: 500, code: 'ARI_SERVER_ERROR', ariMessage: 'Allocation failed' });
    const noEndpoint = await rejection(client.channels.originate({ endpoint: '', app: APP }));
    expect(noEndpoint.ariMessage).toBe('Endpoint must be specified');

    await client.channels.hangup(ch.id);
    const destroyed = await events.next('ChannelDestroyed', (e) => e.channel.id === ch.id);
    expect([destroyed.cause, destroyed.cause_txt]).toEqual([16, 'Normal Clearing']);
  });

  it('reports busy and unanswered outbound calls through Dial and ChannelDestroyed', async () => {
    sim.setEndpointBehaviour('PJSIP/busy', 'busy');
    sim.setEndpointBehaviour('PJSIP/late', 'noanswer', { ringMs: 20 });
    sim.setEndpointBehaviour('PJSIP/broken', 'fail');
    const busy = await client.channels.originate({ endpoint: 'PJSIP/busy', app: APP });
    const busyEnd = await events.next('ChannelDestroyed', (e) => e.channel.id === busy.id);
    expect([busyEnd.cause, busyEnd.cause_txt]).toEqual([17, 'User busy']);
    expect(events.events.some((e) => e.type === 'Dial' && e.dialstatus === 'BUSY')).toBe(true);
    const late = await client.channels.originate({ endpoint: 'PJSIP/late', app: APP });
    const lateEnd = await events.next('ChannelDestroyed', (e) => e.channel.id === late.id);
    expect(lateEnd.cause).toBe(19);
    expect(events.events.some((e) => e.type === 'Dial' && e.dialstatus === 'NOANSWER')).toBe(true);
    expect((await rejection(client.channels.originate({ endpoint: 'PJSIP/broken', app: APP }))).status).toBe(500);
    expect(sim.channels()).toEqual([]);
  });

  it('creates AudioSocket externalMedia channels and answers the recorded validation errors', async () => {
    const data = '325d3c93-534b-4733-a05b-94d368bcfcaf';
    const ext = await client.channels.externalMedia({
      app: APP,
      external_host: '127.0.0.1:9093',
      encapsulation: 'audiosocket',
      transport: 'tcp',
      format: 'slin16',
      data,
      variables: { X: '1' },
    });
    expect(ext).toMatchObject({
      name: `AudioSocket/127.0.0.1:9093-${data}`,
      state: 'Down',
      dialplan: { context: 'default', exten: 's', priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' },
      channelvars: { AUDIOSOCKET_SERVICE: '127.0.0.1:9093', AUDIOSOCKET_UUID: data },
    });
    const start = await events.next('StasisStart', (e) => e.channel.id === ext.id);
    expect(start.args).toEqual([data]);
    expect(await client.channels.getVariable(ext.id, 'X')).toBe('1');
    const base = { app: APP, external_host: '127.0.0.1:9093', encapsulation: 'audiosocket', format: 'slin' } as const;
    const cases: Array<[Parameters<AriClient['channels']['externalMedia']>[0], number, string]> = [
      [{ ...base, transport: 'udp', data }, 400, "transport must be 'tcp' for audiosocket encapsulation"],
      [{ ...base, transport: 'tcp' }, 400, 'data can not be empty'],
      [
        { ...base, transport: 'tcp', data: 'not-a-uuid' },
        500,
        'An internal error prevented this request from being handled',
      ],
      [{ ...base, app: '', transport: 'tcp', data }, 400, 'app cannot be empty'],
      [{ ...base, format: '', transport: 'tcp', data }, 400, 'format cannot be empty'],
      [
        { ...base, format: 'nosuchformat', transport: 'tcp', data },
        500,
        'An internal error prevented this request from being handled',
      ],
    ];
    for (const [params, status, message] of cases) {
      const err = await rejection(client.channels.externalMedia(params));
      expect([err.status, err.ariMessage]).toEqual([status, message]);
    }
  });

  it('creates, lists, fills, empties and destroys bridges with the recorded events and errors', async () => {
    const call = await sim.placeInboundCall();
    const bridge = await client.bridges.create({ type: 'mixing', name: 'fx' });
    expect(bridge).toMatchObject({
      technology: 'simple_bridge',
      bridge_type: 'mixing',
      bridge_class: 'stasis',
      creator: 'Stasis',
      name: 'fx',
      channels: [],
      video_mode: 'talker',
    });
    const withId = await client.bridges.create({ bridgeId: 'my-bridge', type: ['mixing', 'dtmf_events'] });
    expect(withId.id).toBe('my-bridge');
    expect((await client.bridges.list()).map((b) => b.id).sort()).toEqual([bridge.id, 'my-bridge'].sort());
    const badType = await rejection(client.bridges.create({ type: 'nosuchtype' as never }));
    expect([badType.status, badType.ariMessage]).toEqual([
      500,
      "Unable to create bridge. Possible duplicate bridge id '(null)'",
    ]);
    await client.bridges.addChannel(bridge.id, { channel: call.id });
    await events.next('ChannelEnteredBridge');
    expect((await client.bridges.get(bridge.id)).channels).toEqual([call.id]);
    const missing = await rejection(client.bridges.addChannel(bridge.id, { channel: [] }));
    expect(missing.ariMessage).toBe('Missing parameter channel');
    const notIn = await rejection(client.bridges.removeChannel('my-bridge', { channel: call.id }));
    expect([notIn.status, notIn.ariMessage]).toEqual([422, 'Channel not in this bridge']);
    await client.bridges.removeChannel(bridge.id, { channel: call.id });
    await events.next('ChannelLeftBridge');
    await client.bridges.destroy(bridge.id);
    await client.bridges.destroy('my-bridge');
    const gone = await rejection(client.bridges.destroy(bridge.id));
    expect([gone.status, gone.ariMessage]).toEqual([404, 'Bridge not found']);
    expect((await rejection(client.bridges.addChannel('no-such-bridge', { channel: call.id }))).status).toBe(404);
    expect(sim.bridges()).toEqual([]);
  });

  it('plays media on channels and bridges; playbacks can be read and stopped', async () => {
    const call = await sim.placeInboundCall();
    const pb = await client.channels.play(call.id, { media: ['sound:hello', 'sound:world'], playbackId: 'pb-1' });
    expect(pb).toMatchObject({
      id: 'pb-1',
      media_uri: 'sound:hello',
      target_uri: `channel:${call.id}`,
      state: 'queued',
    });
    await events.next('PlaybackStarted');
    await events.next('PlaybackContinuing');
    const finished = await events.next('PlaybackFinished', (e) => e.playback.id === 'pb-1');
    expect(finished.playback.state).toBe('done');
    expect((await rejection(client.playbacks.get('pb-1'))).ariMessage).toBe('Playback not found');

    const tone = await client.channels.play(call.id, { media: 'tone:ring' });
    await events.next('PlaybackStarted', (e) => e.playback.id === tone.id);
    expect((await client.playbacks.get(tone.id)).state).toBe('playing');
    await client.playbacks.stop(tone.id);
    await events.next('PlaybackFinished', (e) => e.playback.id === tone.id);
    expect((await rejection(client.playbacks.stop(tone.id))).status).toBe(404);
    expect((await rejection(client.channels.play(call.id, { media: [] }))).status).toBe(400);

    const bridge = await client.bridges.create({ type: 'mixing' });
    await client.bridges.addChannel(bridge.id, { channel: call.id });
    const onBridge = await client.bridges.play(bridge.id, { media: 'sound:beep' });
    expect(onBridge.target_uri).toBe(`bridge:${bridge.id}`);
    await events.next('PlaybackFinished', (e) => e.playback.id === onBridge.id);
    await client.bridges.destroy(bridge.id);
  });

  it('records channels and bridges; live recordings stop into stored ones', async () => {
    const call = await sim.placeInboundCall();
    const rec = await client.channels.record(call.id, { name: 'greeting', format: 'wav', beep: true });
    expect(rec).toMatchObject({ name: 'greeting', format: 'wav', target_uri: `channel:${call.id}`, state: 'queued' });
    await events.next('RecordingStarted');
    expect((await client.recordings.getLive('greeting')).state).toBe('recording');
    const dup = await rejection(client.channels.record(call.id, { name: 'greeting', format: 'wav' }));
    expect(dup).toMatchObject({ status: 409, code: 'ARI_CONFLICT' });
    await client.recordings.stopLive('greeting');
    const finished = await events.next('RecordingFinished');
    expect(finished.recording.state).toBe('done');
    expect(await client.recordings.listStored()).toEqual([{ name: 'greeting', format: 'wav' }]);
    expect(await client.recordings.getStored('greeting')).toEqual({ name: 'greeting', format: 'wav' });
    await client.recordings.deleteStored('greeting');
    expect((await rejection(client.recordings.deleteStored('greeting'))).ariMessage).toBe('Recording not found');
    expect((await rejection(client.recordings.getLive('greeting'))).status).toBe(404);

    const bridge = await client.bridges.create({});
    const onBridge = await client.bridges.record(bridge.id, { name: 'conf', format: 'wav', maxDurationSeconds: 1 });
    expect(onBridge.target_uri).toBe(`bridge:${bridge.id}`);
    await client.recordings.stopLive('conf');
    await client.bridges.destroy(bridge.id);
  });

  it('sends DTMF, sets and reads variables, snoops, continues and redirects', async () => {
    const call = await sim.placeInboundCall();
    await client.channels.sendDtmf(call.id, { dtmf: '12#', between: 100, duration: 120 });
    expect(call.dtmfSent).toEqual([{ dtmf: '12#', before: undefined, between: 100, duration: 120, after: undefined }]);
    expect((await rejection(client.channels.sendDtmf(call.id, { dtmf: '' }))).ariMessage).toBe('DTMF is required');

    await client.channels.setVariable(call.id, 'FX', 'on');
    const varset = await events.next('ChannelVarset', (e) => e.variable === 'FX');
    expect(varset.value).toBe('on');
    expect(await client.channels.getVariable(call.id, 'FX')).toBe('on');
    const noVar = await rejection(client.channels.getVariable(call.id, 'NOPE'));
    expect([noVar.status, noVar.ariMessage]).toEqual([404, 'Provided variable was not found']);

    const snoop = await client.channels.snoop(call.id, { app: APP, spy: 'both', appArgs: 'snoop' });
    expect(snoop.name).toMatch(new RegExp(`^Snoop/${call.id.replace('.', '\\.')}-`));
    const snoopStart = await events.next('StasisStart', (e) => e.channel.id === snoop.id);
    expect(snoopStart.args).toEqual(['snoop']);
    expect((await rejection(client.channels.snoop(call.id, { app: APP }))).status).toBe(400);
    await client.channels.hangup(snoop.id);
    await events.next('ChannelDestroyed', (e) => e.channel.id === snoop.id);

    await client.channels.continueInDialplan(call.id, { context: 'after', extension: '200', priority: 1 });
    await events.next('StasisEnd', (e) => e.channel.id === call.id);
    expect(call.snapshot()?.dialplan).toMatchObject({ context: 'after', exten: '200', priority: 1 });
    expect((await rejection(client.channels.answer(call.id))).status).toBe(409);
    await call.hangup();

    const other = await sim.placeInboundCall();
    await client.channels.redirect(other.id, { endpoint: 'PJSIP/elsewhere' });
    await events.next('StasisEnd', (e) => e.channel.id === other.id);
    await other.ended;
    expect(sim.channels()).toEqual([]);
  });

  it('rejects wrong credentials with 401 and a non-retryable authentication error', async () => {
    const wrong = clientFor(sim, 'wrong-password');
    const err = await rejection(wrong.channels.list());
    expect(err).toMatchObject({
      status: 401,
      code: 'ARI_UNAUTHORIZED',
      category: 'authentication',
      retryable: false,
      ariMessage: 'Authentication required',
    });
    const raw = await fetch(`${sim.url}/ari/channels`);
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toBe('Basic realm="Asterisk REST Interface"');
    const withKey = await fetch(`${sim.url}/ari/channels?api_key=${encodeURIComponent(`${USER}:${PASSWORD}`)}`);
    expect(withKey.status).toBe(200);
    expect(withKey.headers.get('server')).toBe('Asterisk/22.10.1');
    expect(withKey.headers.get('cache-control')).toBe('no-cache, no-store');
  });

  it('fails with ARI_UNAVAILABLE when nothing listens and ARI_TIMEOUT / ARI_ABORTED when told to', async () => {
    // Port 1: nothing listens there, and no test binds it (a just-closed ephemeral port could be reused).
    const dead = clientFor({ url: 'http://127.0.0.1:1' });
    const err = await dead.channels.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AriRequestError);
    expect(err).toMatchObject({ code: 'ARI_UNAVAILABLE', retryable: true, category: 'connectivity' });

    const hanging: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
      });
    const timed = new AriClient({
      baseUrl: 'http://127.0.0.1:1',
      username: USER,
      password: PASSWORD,
      fetch: hanging,
      requestTimeoutMs: 50,
    });
    await expect(timed.channels.list()).rejects.toMatchObject({ code: 'ARI_TIMEOUT', retryable: true });
    const controller = new AbortController();
    const pending = timed.channels.list({ signal: controller.signal, timeoutMs: 60_000 });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ARI_ABORTED', retryable: false });
  });
});
