import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AudioSocketIntake, type AudioSocketIntakeOptions } from '../../../src/calls/audiosocket-intake.js';
import { CallRegistry } from '../../../src/calls/call-registry.js';
import type { CallSession } from '../../../src/calls/call-session.js';
import { DEFAULT_ECHO_ROUTE } from '../../../src/calls/default-route.js';
import { RouteMatcher } from '../../../src/calls/route-matcher.js';
import type { Route } from '../../../src/config/routes.js';
import { UuidRegistry } from '../../../src/transports/audiosocket/uuid-registry.js';

const route = (name: string, match: Route['match'] = {}): Route => ({ ...DEFAULT_ECHO_ROUTE, name, match });

function intake(over: Partial<AudioSocketIntakeOptions> = {}) {
  let accepting = true;
  const o: AudioSocketIntakeOptions = {
    allowAnyUuid: false,
    routes: new RouteMatcher([]),
    defaultRoute: undefined,
    expectedUuids: new UuidRegistry<CallSession>(),
    directUuids: new UuidRegistry<Route>(),
    registry: new CallRegistry(),
    makeSession: () => {
      throw new Error('admission makes no session');
    },
    accepting: () => accepting,
    ...over,
  };
  return { o, intake: new AudioSocketIntake(o), stopAccepting: () => (accepting = false) };
}

describe('AudioSocketIntake admission', () => {
  it('admits an expected UUID with its session, once', () => {
    const { o, intake: i } = intake();
    const session = { id: 'call-1' } as CallSession;
    const uuid = randomUUID();
    o.expectedUuids.register(uuid, session, 60_000);
    expect(i.admit(uuid)).toEqual({ accept: true, context: { kind: 'expected', session } });
    expect(i.admit(uuid)).toMatchObject({ accept: false, reason: 'unknown_uuid' });
  });

  it('admits an API-registered UUID and a UUID a route names as dialplan-direct calls of that route', () => {
    const named = route('named', { audiosocketUuids: ['11111111-1111-4111-8111-111111111111'] });
    const registered = route('registered');
    const { o, intake: i } = intake({ routes: new RouteMatcher([named, registered]) });
    const uuid = randomUUID();
    o.directUuids.register(uuid, registered, 60_000);
    expect(i.admit(uuid)).toEqual({ accept: true, context: { kind: 'direct', route: registered } });
    expect(i.admit('11111111-1111-4111-8111-111111111111')).toEqual({
      accept: true,
      context: { kind: 'direct', route: named },
    });
  });

  it('refuses unknown UUIDs unless any UUID is allowed; then the first catch-all route, or the default route', () => {
    const catchAll = route('catch-all');
    expect(intake({ routes: new RouteMatcher([catchAll]) }).intake.admit(randomUUID())).toMatchObject({
      accept: false,
      reason: 'unknown_uuid',
      detail: 'is not registered',
    });
    expect(intake({ routes: new RouteMatcher([catchAll]), allowAnyUuid: true }).intake.admit(randomUUID())).toEqual({
      accept: true,
      context: { kind: 'direct', route: catchAll },
    });
    expect(intake({ allowAnyUuid: true, defaultRoute: DEFAULT_ECHO_ROUTE }).intake.admit(randomUUID())).toEqual({
      accept: true,
      context: { kind: 'direct', route: DEFAULT_ECHO_ROUTE },
    });
    expect(intake({ allowAnyUuid: true }).intake.admit(randomUUID())).toMatchObject({ accept: false });
  });

  it('refuses every UUID while shutting down, even an expected one', () => {
    const { o, intake: i, stopAccepting } = intake();
    const uuid = randomUUID();
    o.expectedUuids.register(uuid, { id: 'call-2' } as CallSession, 60_000);
    stopAccepting();
    expect(i.admit(uuid)).toEqual({ accept: false, reason: 'shutting_down' });
  });

  it('registers a UUID to a route by name, the default route included, and refuses unknown route names', () => {
    const sales = route('sales');
    const { o, intake: i } = intake({ routes: new RouteMatcher([sales]) });
    expect(i.routeExists('sales')).toBe(true);
    expect(i.routeExists('default')).toBe(false);
    const uuid = randomUUID();
    i.register(uuid, 'sales', 60_000);
    expect(o.directUuids.admit(uuid)).toEqual({ accept: true, context: sales });
    expect(() => i.register(randomUUID(), 'nope', 60_000)).toThrow(
      expect.objectContaining({ code: 'ROUTE_NOT_FOUND' }),
    );
    const withDefault = intake({ defaultRoute: DEFAULT_ECHO_ROUTE }).intake;
    expect(withDefault.routeExists('default')).toBe(true);
  });
});

describe('AudioSocketIntake hand-over to a media worker', () => {
  it('sends the bytes Node read while the admitted socket waited (paused) with the socket, after those of the handshake', async () => {
    const { createServer, connect } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<import('node:net').Socket>((r) => server.once('connection', r));
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    const socket = await accepted;
    // The handshake read the UUID frame, then paused the socket (as awaitUuidFrame does).
    const read = new Promise<Buffer>((r) => socket.once('data', r));
    client.write(Buffer.from('first'));
    const raw = await read;
    socket.pause();
    // Audio that arrives meanwhile is read by Node into the paused socket's buffer, not lost.
    client.write(Buffer.from('-audio-after-the-uuid'));
    await new Promise((r) => setTimeout(r, 50));
    let handed: Buffer | undefined;
    const echo = route('echo');
    const { intake: i } = intake({
      makeSession: (info) =>
        ({ id: info.callId, info, once: () => {}, log: { info: () => {} } }) as unknown as CallSession,
      mediaWorkers: {
        ready: true,
        handOver: (_s, _u, _sock, bytes) => {
          handed = bytes;
        },
      },
    });
    expect(raw.toString()).toBe('first');
    expect(i.handOff(randomUUID(), { kind: 'direct', route: echo }, socket, raw)).toBe(true);
    expect(handed?.toString()).toBe('first-audio-after-the-uuid');
    client.destroy();
    socket.destroy();
    await new Promise((r) => server.close(r));
  });
});
