/**
 * `/ari/asterisk`, `/ari/applications`, `/ari/endpoints`, `/ari/playbacks` and `/ari/recordings` of the simulated
 * Asterisk. `/asterisk/info` and `/applications` have the recorded shapes (00-environment, 08-ari-reconnect): an
 * application stays listed while it holds channels or bridges, even with no events connection.
 */
import type { Application, AsteriskInfo, Module } from '../../protocols/ari/index.js';
import { noContent, ok, type Route, type SimRequest } from './rest-types.js';
import { ariError, type SimCore } from './sim-core.js';
import type { SimMedia } from './sim-media.js';
import { asteriskTimestamp } from './sim-model.js';
import type { SimOriginate } from './sim-originate.js';

export const SIMULATED_ASTERISK_VERSION = '22.10.1';

const ALL_MODULES: readonly Module[] = [
  ['res_ari.so', 'Asterisk RESTful Interface', 'core'],
  ['res_stasis.so', 'Stasis application support', 'core'],
  ['res_audiosocket.so', 'AudioSocket support', 'extended'],
  ['chan_audiosocket.so', 'AudioSocket Channel', 'extended'],
  ['app_audiosocket.so', 'AudioSocket Application', 'extended'],
  ['chan_pjsip.so', 'PJSIP Channel Driver', 'core'],
  ['chan_websocket.so', 'Websocket Media Channel', 'core'],
  ['chan_rtp.so', 'RTP Media Channel', 'core'],
  ['res_rtp_asterisk.so', 'Asterisk RTP Stack', 'core'],
].map(([name, description, support_level]) => ({
  name: name ?? '',
  description: description ?? '',
  use_count: 0,
  status: 'Running',
  support_level: support_level ?? 'core',
}));

export interface SystemRouteDeps {
  readonly core: SimCore;
  readonly media: SimMedia;
  readonly originate: SimOriginate;
  readonly startedAt: () => number;
  readonly isActive: (app: string) => boolean;
  /** Reported version; default SIMULATED_ASTERISK_VERSION. */
  readonly version?: string | undefined;
  /** Names of the modules listed as running; default all the simulator knows. */
  readonly modules?: readonly string[] | undefined;
}

/** The applications Asterisk lists: those with an events connection or holding channels or bridges. */
export function listApplications(deps: SystemRouteDeps, names: Iterable<string>): Application[] {
  const all = new Set(names);
  for (const ch of deps.core.channels.values()) if (ch.subscribed && ch.app !== undefined) all.add(ch.app);
  for (const b of deps.core.bridges.values()) if (b.subscriptions > 0 && b.app !== undefined) all.add(b.app);
  return [...all].sort().flatMap((name) => {
    const channelIds = [...deps.core.channels.values()].filter((c) => c.subscribed && c.app === name).map((c) => c.id);
    const bridgeIds = [...deps.core.bridges.values()]
      .filter((b) => b.subscriptions > 0 && b.app === name)
      .map((b) => b.id);
    if (!deps.isActive(name) && channelIds.length === 0 && bridgeIds.length === 0) return [];
    return [
      {
        name,
        channel_ids: channelIds,
        bridge_ids: bridgeIds,
        endpoint_ids: [],
        device_names: [],
        events_allowed: [],
        events_disallowed: [],
      },
    ];
  });
}

function info(deps: SystemRouteDeps, req: SimRequest): AsteriskInfo {
  const started = asteriskTimestamp(deps.startedAt());
  const full: AsteriskInfo = {
    build: { os: 'Linux', kernel: 'simulated', machine: 'x86_64', options: 'OPTIONAL_API', date: started, user: 'sim' },
    system: { version: deps.version ?? SIMULATED_ASTERISK_VERSION, entity_id: deps.core.asteriskId },
    config: { name: '', default_language: 'en', setid: { user: '', group: '' }, max_open_files: 8192 },
    status: { startup_time: started, last_reload_time: started },
  };
  const only = req.params.get('only');
  if (!only) return full;
  const keep = new Set(only.split(','));
  const picked: AsteriskInfo = {};
  if (keep.has('build')) picked.build = full.build;
  if (keep.has('system')) picked.system = full.system;
  if (keep.has('config')) picked.config = full.config;
  if (keep.has('status')) picked.status = full.status;
  return picked;
}

export function systemRoutes(deps: SystemRouteDeps, activeApps: () => Iterable<string>): Route[] {
  const { media } = deps;
  const wanted = deps.modules;
  const MODULES = wanted ? ALL_MODULES.filter((m) => wanted.includes(m.name)) : ALL_MODULES;
  return [
    { method: 'GET', pattern: /^\/asterisk\/info$/, handler: (req) => ok(info(deps, req)) },
    { method: 'GET', pattern: /^\/asterisk\/modules$/, handler: () => ok(MODULES) },
    {
      method: 'GET',
      pattern: /^\/asterisk\/modules\/([^/]+)$/,
      handler: (_r, [name]) => {
        const module = MODULES.find((m) => m.name === name);
        if (!module) throw ariError(404, 'Module could not be found in running modules');
        return ok(module);
      },
    },
    { method: 'GET', pattern: /^\/applications$/, handler: () => ok(listApplications(deps, activeApps())) },
    {
      method: 'GET',
      pattern: /^\/applications\/([^/]+)$/,
      handler: (_r, [name]) => {
        const app = listApplications(deps, [name ?? '']).find((a) => a.name === name);
        if (!app) throw ariError(404, 'Application not found');
        return ok(app);
      },
    },
    { method: 'GET', pattern: /^\/endpoints$/, handler: () => ok(deps.originate.list()) },
    { method: 'GET', pattern: /^\/playbacks\/([^/]+)$/, handler: (_r, [id]) => ok(media.getPlayback(id ?? '')) },
    {
      method: 'DELETE',
      pattern: /^\/playbacks\/([^/]+)$/,
      handler: (_r, [id]) => {
        media.stopPlayback(id ?? '');
        return noContent;
      },
    },
    { method: 'GET', pattern: /^\/recordings\/live\/([^/]+)$/, handler: (_r, [n]) => ok(media.getLive(n ?? '')) },
    {
      method: 'POST',
      pattern: /^\/recordings\/live\/([^/]+)\/stop$/,
      handler: (_r, [n]) => {
        media.stopLive(n ?? '');
        return noContent;
      },
    },
    { method: 'GET', pattern: /^\/recordings\/stored$/, handler: () => ok(media.listStored()) },
    { method: 'GET', pattern: /^\/recordings\/stored\/([^/]+)$/, handler: (_r, [n]) => ok(media.getStored(n ?? '')) },
    {
      method: 'DELETE',
      pattern: /^\/recordings\/stored\/([^/]+)$/,
      handler: (_r, [n]) => {
        media.deleteStored(n ?? '');
        return noContent;
      },
    },
  ];
}
