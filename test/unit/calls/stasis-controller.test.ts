import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallRegistry } from '../../../src/calls/call-registry.js';
import type { CallSession } from '../../../src/calls/call-session.js';
import { RouteMatcher } from '../../../src/calls/route-matcher.js';
import type { StasisAri } from '../../../src/calls/stasis-ari.js';
import { type SessionMaker, StasisController, type StasisEvents } from '../../../src/calls/stasis-controller.js';
import { type Route, routeSchema } from '../../../src/config/routes.js';
import type { AriEvent, Channel } from '../../../src/protocols/ari/index.js';
import { UuidRegistry } from '../../../src/transports/audiosocket/uuid-registry.js';

const logger = pino({ level: 'silent' });

function route(extra: Record<string, unknown> = {}): Route {
  return {
    ...routeSchema.parse({ name: 'r', agent: { kind: 'websocket', url: 'ws://agent' }, ...extra }),
    audioFormat: 'slin',
  };
}

function channel(id: string, name = `PJSIP/alice-${id}`, state = 'Ring'): Channel {
  return {
    id,
    name,
    state,
    caller: { number: '100', name: '' },
    connected: { number: '', name: '' },
    dialplan: { context: 'default', exten: '200', priority: 1, app_name: 'Stasis', app_data: 'ava' },
  } as unknown as Channel;
}

/** The narrow ARI the controller uses: every call recorded; resources are named by counters. */
function fakeAri() {
  let bridges = 0;
  const ari = {
    channels: {
      answer: vi.fn(async () => {}),
      ring: vi.fn(async () => {}),
      hangup: vi.fn(async () => {}),
      redirect: vi.fn(async () => {}),
      continueInDialplan: vi.fn(async () => {}),
      play: vi.fn(async () => ({})),
      sendDtmf: vi.fn(async () => {}),
      get: vi.fn(async (id: string) => channel(id)),
      list: vi.fn(async () => []),
      originate: vi.fn(async () => ({})),
      externalMedia: vi.fn(async (p: { channelId?: string }) => ({ id: p.channelId ?? 'media-ws' })),
    },
    bridges: {
      create: vi.fn(async () => ({ id: `bridge-${++bridges}` })),
      addChannel: vi.fn(async () => {}),
      destroy: vi.fn(async () => {}),
      play: vi.fn(async () => ({})),
      record: vi.fn(async () => ({})),
    },
    applications: { get: vi.fn(async () => ({ channel_ids: [], bridge_ids: [] })) },
    recordings: { stopLive: vi.fn(async () => {}) },
    asterisk: {
      info: vi.fn(async () => {
        throw new Error('no probe in this test');
      }),
      modules: vi.fn(async () => []),
    },
  };
  return ari as typeof ari & StasisAri;
}

/** A call session as far as the controller sees it: records, state, close reason. */
class FakeSession extends EventEmitter {
  readonly log = logger;
  readonly records: Array<{ type: string; data: unknown }> = [];
  closing = false;
  closeReason: string | undefined;
  constructor(
    readonly id: string,
    readonly info: Parameters<SessionMaker>[0],
    readonly telephony: unknown,
  ) {
    super();
  }
  record(type: string, data: unknown): void {
    this.records.push({ type, data });
  }
  setHangupCause(): void {}
  dtmf(): void {}
  async attachLeg(): Promise<void> {}
  async close(reason: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.emit('state', 'ending');
    this.emit('state', 'ended');
    this.emit('ended');
  }
}

function setUp(routes: Route[], defaultRoute?: Route) {
  const ari = fakeAri();
  const events = Object.assign(new EventEmitter(), {
    start: vi.fn(async () => {}),
    close: vi.fn(async () => {}),
  });
  const registry = new CallRegistry();
  const sessions: FakeSession[] = [];
  const makeSession: SessionMaker = (info, extra) => {
    const s = new FakeSession(info.callId, info, extra.telephony);
    sessions.push(s);
    return s as unknown as CallSession;
  };
  const controller = new StasisController({
    ari,
    events: events as StasisEvents,
    app: 'ava',
    registry,
    routes: new RouteMatcher(routes),
    defaultRoute,
    expectedUuids: new UuidRegistry<CallSession>(),
    makeSession,
    audioSocketHost: () => '127.0.0.1:9092',
    uuidTtlMs: 10_000,
    accepting: () => true,
    logger,
  });
  const emit = (ev: Record<string, unknown>) => events.emit('event', ev as unknown as AriEvent);
  return { ari, events, registry, sessions, controller, emit };
}

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

let current: ReturnType<typeof setUp> | undefined;
afterEach(async () => {
  await current?.controller.close();
  current = undefined;
});

/** A caller enters Stasis and its AudioSocket media channel has been requested. */
async function audioSocketCall() {
  const t = setUp([route()]);
  current = t;
  await t.controller.start();
  t.emit({ type: 'StasisStart', channel: channel('caller-1'), args: [] });
  await vi.waitFor(() => expect(t.ari.channels.externalMedia).toHaveBeenCalledTimes(1));
  const mediaId = t.ari.channels.externalMedia.mock.calls[0]![0].channelId!;
  return { ...t, mediaId, session: t.sessions[0]! };
}

describe('StasisController with a fake ARI', () => {
  it('answers, bridges, sets the media up through the AudioSocket path, joins it only after its StasisStart', async () => {
    const t = await audioSocketCall();
    expect(t.ari.channels.answer).toHaveBeenCalledWith('caller-1');
    expect(t.ari.bridges.create).toHaveBeenCalledTimes(1);
    expect(t.ari.channels.externalMedia.mock.calls[0]![0]).toMatchObject({
      app: 'ava',
      encapsulation: 'audiosocket',
      external_host: '127.0.0.1:9092',
    });
    expect(t.session.records.map((r) => r.type)).toEqual(['call.started', 'answered', 'media.requested']);
    await settle();
    expect(t.ari.bridges.addChannel.mock.calls).toEqual([['bridge-1', { channel: 'caller-1' }]]);

    t.emit({
      type: 'StasisStart',
      channel: channel(t.mediaId, `AudioSocket/127.0.0.1:9092-${t.mediaId}`, 'Up'),
      args: [],
    });
    await vi.waitFor(() => expect(t.ari.bridges.addChannel).toHaveBeenCalledTimes(2));
    expect(t.ari.bridges.addChannel.mock.calls[1]).toEqual(['bridge-1', { channel: t.mediaId }]);
    expect(t.registry.get(t.mediaId)).toBe(t.session);
  });

  it('StasisEnd of the caller closes the session', async () => {
    const t = await audioSocketCall();
    t.emit({ type: 'StasisEnd', channel: channel('caller-1') });
    expect(t.session.closeReason).toBe('caller_hangup');
  });

  it('the media channel leaving the bridge ends the call as media_left_bridge', async () => {
    const t = await audioSocketCall();
    t.emit({ type: 'StasisStart', channel: channel(t.mediaId, `AudioSocket/x-${t.mediaId}`, 'Up'), args: [] });
    await vi.waitFor(() => expect(t.ari.bridges.addChannel).toHaveBeenCalledTimes(2));
    t.emit({ type: 'ChannelLeftBridge', channel: channel(t.mediaId), bridge: { id: 'bridge-1' } });
    expect(t.session.closeReason).toBe('media_left_bridge');
    expect(t.session.records.map((r) => r.type)).toContain('media.left_bridge');
  });

  it('a route with media: websocket goes to the chan_websocket path (which refuses when it is not configured)', async () => {
    const t = setUp([route({ media: 'websocket' })]);
    current = t;
    await t.controller.start();
    t.emit({ type: 'StasisStart', channel: channel('caller-2', 'PJSIP/bob', 'Up'), args: [] });
    await vi.waitFor(() => expect(t.sessions[0]?.closeReason).toBe('ari_failure'));
    expect(t.ari.channels.answer).not.toHaveBeenCalled();
    expect(t.ari.channels.externalMedia).not.toHaveBeenCalled();
    expect(t.sessions[0]!.records.at(-1)).toEqual({
      type: 'ari.failed',
      data: { message: 'route r needs chan_websocket, which is not configured' },
    });
  });

  it('a caller no route takes is hung up, one off the allowlist is rejected; no session is made', async () => {
    const t = setUp([route({ match: { stasisArg: 'sales' } })]);
    current = t;
    await t.controller.start();
    t.emit({ type: 'StasisStart', channel: channel('c-1'), args: ['support'] });
    await vi.waitFor(() => expect(t.ari.channels.hangup).toHaveBeenCalledWith('c-1', { reason: 'unallocated' }));
    t.emit({ type: 'StasisStart', channel: channel('c-2'), args: ['sales'] });
    expect(t.sessions).toHaveLength(1);
    const vip = setUp([route({ name: 'vip', callerAllowlist: ['9.*'] })]);
    await vip.controller.start();
    vip.emit({ type: 'StasisStart', channel: channel('c-3'), args: [] });
    await vi.waitFor(() => expect(vip.ari.channels.hangup).toHaveBeenCalledWith('c-3', { reason: 'rejected' }));
    expect(vip.sessions).toHaveLength(0);
    await vip.controller.close();
  });

  it('close() is idempotent and stops following events', async () => {
    const t = setUp([route()]);
    await t.controller.start();
    await Promise.all([t.controller.close(), t.controller.close()]);
    await t.controller.close();
    expect(t.events.close).toHaveBeenCalledTimes(1);
    t.emit({ type: 'StasisStart', channel: channel('late'), args: [] });
    await settle();
    expect(t.sessions).toHaveLength(0);
  });
});
