/**
 * `/ari/bridges` of the simulated Asterisk. Recorded (07-errors): 404 "Bridge not found", 400 "Missing parameter
 * channel", 422 "Channel not in Stasis application" / "Channel not in this bridge", and 500 "Unable to create
 * bridge. Possible duplicate bridge id '(null)'" for an invalid type. Adding a channel already in this bridge
 * makes it leave and re-enter; adding one in another bridge moves it.
 */
import { randomUUID } from 'node:crypto';
import { BRIDGE_TYPES } from '../../protocols/ari/index.js';
import { recordOn } from './rest-channels.js';
import { listParam, noContent, ok, param, type Route, type SimReply, type SimRequest } from './rest-types.js';
import { ariError, type SimCore } from './sim-core.js';
import type { SimMedia } from './sim-media.js';
import { asteriskTimestamp, bridgeSnapshot, type SimBridge, type SimChannel } from './sim-model.js';

const ID = '([^/]+)';

function requireBridge(core: SimCore, id: string): SimBridge {
  const bridge = core.bridges.get(id);
  if (!bridge) throw ariError(404, 'Bridge not found', 'Not found');
  return bridge;
}

/** The channels named by `channel=a,b`, all checked before any is touched (bridge resource rules: 400 / 422). */
function channelsParam(core: SimCore, req: SimRequest): SimChannel[] {
  const ids = listParam(req, 'channel');
  if (ids.length === 0) throw ariError(400, 'Missing parameter channel', 'Bad Request');
  return ids.map((id) => {
    const ch = core.channels.get(id);
    if (!ch) throw ariError(400, 'Channel not found', 'Bad Request');
    if (!ch.inStasis) throw ariError(422, 'Channel not in Stasis application', 'Unprocessable Entity');
    return ch;
  });
}

export function bridgeRoutes(deps: { readonly core: SimCore; readonly media: SimMedia }): Route[] {
  const { core, media } = deps;

  const create = (req: SimRequest, pathId: string | undefined): SimReply => {
    const types = listParam(req, 'type');
    const bridgeId = pathId ?? param(req, 'bridgeId');
    const failure = () =>
      ariError(
        500,
        `Unable to create bridge. Possible duplicate bridge id '${bridgeId ?? '(null)'}'`,
        'Internal Error',
      );
    if (types.some((t) => !(BRIDGE_TYPES as readonly string[]).includes(t))) throw failure();
    if (bridgeId !== undefined) {
      const existing = core.bridges.get(bridgeId);
      if (existing && pathId === undefined) throw failure();
      if (existing) {
        const name = param(req, 'name');
        if (name !== undefined) existing.name = name;
        return ok(bridgeSnapshot(existing));
      }
    }
    const holding = types.includes('holding');
    const bridge: SimBridge = {
      id: bridgeId ?? randomUUID(),
      name: param(req, 'name') ?? '',
      technology: holding ? 'holding_bridge' : 'simple_bridge',
      bridgeType: holding ? 'holding' : 'mixing',
      creationtime: asteriskTimestamp(Date.now()),
      channels: [],
      app: undefined,
      subscriptions: 0,
    };
    core.bridges.set(bridge.id, bridge);
    return ok(bridgeSnapshot(bridge));
  };

  const addChannel = (req: SimRequest, [id]: readonly string[]): SimReply => {
    const bridge = requireBridge(core, id ?? '');
    for (const ch of channelsParam(core, req)) {
      if (ch.bridgeId !== undefined) core.leaveBridge(ch, 'moved');
      core.enterBridge(ch, bridge);
    }
    return noContent;
  };

  const removeChannel = (req: SimRequest, [id]: readonly string[]): SimReply => {
    const bridge = requireBridge(core, id ?? '');
    const channels = channelsParam(core, req);
    for (const ch of channels) {
      if (ch.bridgeId !== bridge.id) throw ariError(422, 'Channel not in this bridge', 'Unprocessable Entity');
    }
    for (const ch of channels) core.leaveBridge(ch, 'removed');
    return noContent;
  };

  const play = (req: SimRequest, [id, playbackId]: readonly string[]): SimReply => {
    const bridge = requireBridge(core, id ?? '');
    const mediaList = listParam(req, 'media');
    if (mediaList.length === 0) throw ariError(400, 'Missing parameter media');
    const started = media.play(
      { kind: 'bridge', id: bridge.id, app: bridge.app },
      mediaList,
      playbackId,
      param(req, 'lang'),
    );
    return { status: 201, body: started.response, after: started.start };
  };

  return [
    { method: 'GET', pattern: /^\/bridges$/, handler: () => ok([...core.bridges.values()].map(bridgeSnapshot)) },
    { method: 'POST', pattern: /^\/bridges$/, handler: (req) => create(req, undefined) },
    {
      method: 'GET',
      pattern: new RegExp(`^/bridges/${ID}$`),
      handler: (_r, [id]) => ok(bridgeSnapshot(requireBridge(core, id ?? ''))),
    },
    { method: 'POST', pattern: new RegExp(`^/bridges/${ID}$`), handler: (req, [id]) => create(req, id) },
    {
      method: 'DELETE',
      pattern: new RegExp(`^/bridges/${ID}$`),
      handler: (_r, [id]) => {
        core.destroyBridge(requireBridge(core, id ?? ''));
        return noContent;
      },
    },
    { method: 'POST', pattern: new RegExp(`^/bridges/${ID}/addChannel$`), handler: addChannel },
    { method: 'POST', pattern: new RegExp(`^/bridges/${ID}/removeChannel$`), handler: removeChannel },
    { method: 'POST', pattern: new RegExp(`^/bridges/${ID}/play$`), handler: (req, [id]) => play(req, [id ?? '']) },
    { method: 'POST', pattern: new RegExp(`^/bridges/${ID}/play/${ID}$`), handler: play },
    {
      method: 'POST',
      pattern: new RegExp(`^/bridges/${ID}/moh$`),
      handler: (req, [id]) => {
        requireBridge(core, id ?? '').moh = param(req, 'mohClass') ?? 'default';
        return noContent;
      },
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^/bridges/${ID}/moh$`),
      handler: (_r, [id]) => {
        requireBridge(core, id ?? '').moh = undefined;
        return noContent;
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/bridges/${ID}/record$`),
      handler: (req, [id]) => recordOn(deps, req, { kind: 'bridge', id: requireBridge(core, id ?? '').id }),
    },
  ];
}
