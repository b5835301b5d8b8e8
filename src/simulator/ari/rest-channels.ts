/**
 * `/ari/channels` of the simulated Asterisk, with the status codes and messages recorded from Asterisk 22.10
 * (07-errors): 404 "Channel not found", 409 "Channel not in Stasis application" for channel operations on a
 * channel outside Stasis, 400 "Invalid reason for hangup reason provided".
 */
import { randomBytes } from 'node:crypto';
import { HANGUP_REASON_CAUSES, isHangupReason, SNOOP_DIRECTIONS } from '../../protocols/ari/index.js';
import type { ChannelRouteDeps } from './rest-deps.js';
import { externalMediaRoute } from './rest-external-media.js';
import { intParam, listParam, noContent, ok, param, type Route, type SimReply, type SimRequest } from './rest-types.js';
import { ariError, type SimCore } from './sim-core.js';
import type { SimMedia } from './sim-media.js';
import { channelSnapshot, type SimChannel } from './sim-model.js';

const ID = '([^/]+)';

export function requireChannel(core: SimCore, id: string): SimChannel {
  const ch = core.channels.get(id);
  if (!ch) throw ariError(404, 'Channel not found', 'Not Found');
  return ch;
}

/** A channel an application controls: 404 if unknown, 409 if not in Stasis (answer, play, dtmf …). */
export function requireControl(core: SimCore, id: string): SimChannel {
  const ch = requireChannel(core, id);
  if (!ch.inStasis) throw ariError(409, 'Channel not in Stasis application', 'Conflict');
  return ch;
}

export function channelRoutes(deps: ChannelRouteDeps): Route[] {
  const { core, media } = deps;
  const hangup = (req: SimRequest, [id]: readonly string[]): SimReply => {
    const ch = requireChannel(core, id ?? '');
    const reason = param(req, 'reason');
    if (reason !== undefined && !isHangupReason(reason)) {
      throw ariError(400, 'Invalid reason for hangup reason provided', 'Invalid Reason');
    }
    const cause = reason === undefined ? 16 : HANGUP_REASON_CAUSES[reason];
    // A SIP channel's events follow the 204; an AudioSocket channel's precede it (05 and 01 recordings).
    if (ch.tech === 'PJSIP') return { status: 204, after: () => core.teardown(ch, 'ari', cause) };
    core.teardown(ch, 'ari', cause);
    return noContent;
  };

  const play = (req: SimRequest, [id, playbackId]: readonly string[]): SimReply => {
    const ch = requireControl(core, id ?? '');
    const mediaList = listParam(req, 'media');
    if (mediaList.length === 0) throw ariError(400, 'Missing parameter media');
    const started = media.play({ kind: 'channel', id: ch.id, app: ch.app }, mediaList, playbackId, param(req, 'lang'));
    return { status: 201, body: started.response, after: started.start };
  };

  const snoop = (req: SimRequest, [id, snoopId]: readonly string[]): SimReply => {
    const ch = requireControl(core, id ?? '');
    const app = param(req, 'app');
    if (app === undefined) throw ariError(400, 'Application name is required');
    const spy = param(req, 'spy') ?? 'none';
    const whisper = param(req, 'whisper') ?? 'none';
    for (const [name, value] of [
      ['spy', spy],
      ['whisper', whisper],
    ] as const) {
      if (!(SNOOP_DIRECTIONS as readonly string[]).includes(value)) {
        throw ariError(400, `Invalid direction specified for ${name}`);
      }
    }
    if (spy === 'none' && whisper === 'none')
      throw ariError(400, 'Direction must be specified for at least spy or whisper');
    const newId = snoopId ?? param(req, 'snoopId');
    if (newId !== undefined && core.channels.has(newId))
      throw ariError(409, 'Channel with given unique ID already exists');
    const snoopChannel = core.createChannel({
      id: newId,
      name: `Snoop/${ch.id}-${randomBytes(4).toString('hex')}`,
      tech: 'Snoop',
      origin: 'ari',
      state: 'Up',
      dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' },
      app,
    });
    const args = listParam(req, 'appArgs');
    return ok(channelSnapshot(snoopChannel), () => core.startStasis(snoopChannel, app, args, false));
  };

  return [
    {
      method: 'GET',
      pattern: /^\/channels$/,
      handler: () => ok([...core.channels.values()].map((c) => channelSnapshot(c))),
    },
    { method: 'POST', pattern: /^\/channels$/, handler: (req) => deps.originate.originate(req, undefined) },
    externalMediaRoute(deps),
    {
      method: 'GET',
      pattern: new RegExp(`^/channels/${ID}$`),
      handler: (_r, [id]) => ok(channelSnapshot(requireChannel(core, id ?? ''))),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/channels/${ID}$`),
      handler: (req, [id]) => deps.originate.originate(req, id),
    },
    { method: 'DELETE', pattern: new RegExp(`^/channels/${ID}$`), handler: hangup },
    {
      method: 'POST',
      pattern: new RegExp(`^/channels/${ID}/answer$`),
      handler: (_r, [id]) => {
        core.setState(requireControl(core, id ?? ''), 'Up');
        return noContent;
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/channels/${ID}/ring$`),
      handler: (_r, [id]) => {
        requireControl(core, id ?? '');
        return noContent;
      },
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^/channels/${ID}/ring$`),
      handler: (_r, [id]) => {
        requireControl(core, id ?? '');
        return noContent;
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/channels/${ID}/dtmf$`),
      handler: (req, [id]) => {
        const ch = requireControl(core, id ?? '');
        const dtmf = param(req, 'dtmf');
        if (dtmf === undefined) throw ariError(400, 'DTMF is required');
        deps.dtmfSent(ch, {
          dtmf,
          before: intParam(req, 'before'),
          between: intParam(req, 'between'),
          duration: intParam(req, 'duration'),
          after: intParam(req, 'after'),
        });
        return noContent;
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/channels/${ID}/continue$`),
      handler: (req, [id]) => {
        const ch = requireControl(core, id ?? '');
        return {
          status: 204,
          after: () => {
            core.leaveStasis(ch);
            ch.dialplan = {
              context: param(req, 'context') ?? ch.dialplan.context,
              exten: param(req, 'extension') ?? ch.dialplan.exten,
              priority: intParam(req, 'priority') ?? ch.dialplan.priority + 1,
              app_name: '',
              app_data: '',
            };
            deps.originate.continued(ch);
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/channels/${ID}/redirect$`),
      handler: (req, [id]) => {
        const ch = requireControl(core, id ?? '');
        if (param(req, 'endpoint') === undefined) throw ariError(400, 'Required parameter endpoint not provided');
        return {
          status: 204,
          after: () => {
            core.leaveStasis(ch);
            core.teardown(ch, 'dial-failed', 16);
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/channels/${ID}/variable$`),
      handler: (req, [id]) => {
        const ch = requireChannel(core, id ?? '');
        const variable = param(req, 'variable');
        if (variable === undefined) throw ariError(400, 'Variable name is required');
        const value = ch.vars.get(variable);
        if (value === undefined) throw ariError(404, 'Provided variable was not found');
        return ok({ value });
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/channels/${ID}/variable$`),
      handler: (req, [id]) => {
        const ch = requireChannel(core, id ?? '');
        const variable = param(req, 'variable');
        if (variable === undefined) throw ariError(400, 'Variable name is required');
        core.setVar(ch, variable, req.params.get('value') ?? '');
        return noContent;
      },
    },
    { method: 'POST', pattern: new RegExp(`^/channels/${ID}/play$`), handler: (req, [id]) => play(req, [id ?? '']) },
    { method: 'POST', pattern: new RegExp(`^/channels/${ID}/play/${ID}$`), handler: play },
    {
      method: 'POST',
      pattern: new RegExp(`^/channels/${ID}/record$`),
      handler: (req, [id]) => recordOn(deps, req, { kind: 'channel', id: requireControl(core, id ?? '').id }),
    },
    { method: 'POST', pattern: new RegExp(`^/channels/${ID}/snoop$`), handler: (req, [id]) => snoop(req, [id ?? '']) },
    { method: 'POST', pattern: new RegExp(`^/channels/${ID}/snoop/${ID}$`), handler: snoop },
  ];
}

/** `POST /channels/{id}/record` and `POST /bridges/{id}/record`. */
export function recordOn(
  deps: { readonly core: SimCore; readonly media: SimMedia },
  req: SimRequest,
  target: { kind: 'channel' | 'bridge'; id: string },
): SimReply {
  const name = param(req, 'name');
  if (name === undefined) throw ariError(400, 'Recording name is required');
  const format = param(req, 'format');
  if (format === undefined) throw ariError(400, 'Recording format is required');
  const ifExists = param(req, 'ifExists') ?? 'fail';
  if (!['fail', 'overwrite', 'append'].includes(ifExists)) throw ariError(400, 'ifExists invalid');
  const maxDurationSeconds = intParam(req, 'maxDurationSeconds');
  if (maxDurationSeconds !== undefined && maxDurationSeconds < 0) {
    throw ariError(400, 'maxDurationSeconds cannot be negative');
  }
  const app =
    target.kind === 'channel' ? deps.core.channels.get(target.id)?.app : deps.core.bridges.get(target.id)?.app;
  const started = deps.media.record({ ...target, app }, { name, format, maxDurationSeconds, ifExists });
  return { status: 201, body: started.response, after: started.start };
}
