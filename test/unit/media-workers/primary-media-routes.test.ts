import { describe, expect, it } from 'vitest';
import type { CallSession } from '../../../src/calls/call-session.js';
import { PrimaryMediaRoutes } from '../../../src/calls/media-workers/index.js';
import { type Route, routeSchema } from '../../../src/config/routes.js';
import { createLogger } from '../../../src/observability/logger.js';

const route = (fields: Record<string, unknown>) => routeSchema.parse(fields) as Route;
const echo = route({ name: 'echo', agent: { kind: 'echo' } });
const tw = route({ name: 'tw', agent: { kind: 'twilio', url: 'ws://127.0.0.1:9/t' } });
const ws = route({ name: 'ws', agent: { kind: 'websocket', url: 'ws://127.0.0.1:9/a' } });
const session = (r: Route) =>
  ({ info: { route: r }, log: createLogger({ level: 'silent', pretty: false }) }) as unknown as CallSession;

describe('routes whose calls run their media in the primary with media workers on', () => {
  it('keeps routes whose agent kind is injected into the process in the primary', () => {
    const primary = new PrimaryMediaRoutes({
      routes: [echo, ws],
      chanWebSocketClient: false,
      injectedAgentKinds: ['echo'],
    });
    expect(primary.reasonFor(echo)).toMatch(/injected/);
    expect(primary.carries(echo)).toBe(false);
    expect(primary.carries(ws)).toBe(true);
    expect([...primary.routes.keys()]).toEqual(['echo']);
  });

  it('places a carried call on the pool and leaves the others here; logs each primary route once at start', () => {
    // The twilio agent kind is injected: its route stays here (the other reasons: mediaWorkerRefusal).
    const primary = new PrimaryMediaRoutes({
      routes: [echo, tw],
      chanWebSocketClient: false,
      injectedAgentKinds: ['twilio'],
    });
    const placed: string[] = [];
    const pool = {
      ready: true,
      place: (s: CallSession, uuid: string) => {
        placed.push(`${s.info.route.name}:${uuid}`);
        return '127.0.0.1:9094';
      },
      placeWebSocket: (s: CallSession) => void placed.push(`${s.info.route.name}:ws`),
      placeRtp: (s: CallSession) => {
        placed.push(`${s.info.route.name}:rtp`);
        return Promise.resolve({ port: 20000, worker: 0, start: () => undefined });
      },
    };
    const client = {
      place: (s: CallSession) => {
        placed.push(`${s.info.route.name}:client`);
        return 'v(ava_media=t)';
      },
    };
    const hooks = primary.stasisPlacement(pool, client);
    expect(hooks.placeRtpMedia(session(echo))).toBeInstanceOf(Promise);
    expect(hooks.placeRtpMedia(session(tw))).toBeUndefined();
    expect(hooks.placeClientWebSocketMedia?.(session(echo), 'slin')).toBe('v(ava_media=t)');
    expect(hooks.placeClientWebSocketMedia?.(session(tw), 'slin')).toBeUndefined();
    placed.length = 0;
    expect(hooks.placeMedia(session(echo), 'u1')).toBe('127.0.0.1:9094');
    expect(hooks.placeMedia(session(tw), 'u2')).toBeUndefined();
    expect(hooks.placeWebSocketMedia(session(echo), 'conn', 'slin')).toBe(true);
    expect(hooks.placeWebSocketMedia(session(tw), 'conn', 'slin')).toBe(false);
    expect(placed).toEqual(['echo:u1', 'echo:ws']);
    // No worker ready (all starting again): the call is served here rather than refused.
    pool.ready = false;
    expect(hooks.placeMedia(session(echo), 'u3')).toBeUndefined();
    expect(hooks.placeWebSocketMedia(session(echo), 'conn', 'slin')).toBe(false);
    expect(hooks.placeRtpMedia(session(echo))).toBeUndefined();
    expect(hooks.placeClientWebSocketMedia?.(session(echo), 'slin')).toBeUndefined();
    expect(placed).toHaveLength(2);
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      pretty: false,
      destination: { write: (l: string) => void lines.push(JSON.parse(l)) },
    });
    primary.logAtStart(logger);
    expect(lines).toMatchObject([
      { route: 'tw', worker: 'primary', reason: expect.stringMatching(/twilio is injected/) },
    ]);
  });
});
