/**
 * `POST /ari/channels/externalMedia` of the simulated Asterisk.
 *
 * AudioSocket (recorded in 01 and 07): validation errors are 400 with Asterisk's messages; a `data` that is not
 * a UUID, an unknown format or a refused connection is 500 "An internal error prevented this request from being
 * handled". On success the connection is open before the 200 (state Down, name `AudioSocket/<host:port>-<uuid>`,
 * `channelvars` AUDIOSOCKET_SERVICE/UUID); right after it come Dial(""), ChannelStateChange(Up), Dial(ANSWER),
 * ChannelVarset STASISSTATUS="" and StasisStart(args [uuid]). When the AudioSocket server closes the connection
 * the channel ends as recorded in 04/04b (no ChannelHangupRequest).
 *
 * WebSocket (09): the channel waits outside Stasis until its media connection is made to `/media/<connection_id>`
 * (see chan-websocket-server.ts; `completeWebSocketMedia` stands in without a socket).
 *
 * RTP: the UnicastRTP channel binds its socket (sim-unicast-rtp.ts) and is answered like AudioSocket, with the
 * socket's address in UNICASTRTP_LOCAL_ADDRESS / UNICASTRTP_LOCAL_PORT; caller audio flows once it is bridged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  EXTERNAL_MEDIA_CONNECTION_TYPES,
  EXTERNAL_MEDIA_ENCAPSULATIONS,
  EXTERNAL_MEDIA_TRANSPORTS,
  MEDIA_DIRECTIONS,
} from '../../protocols/ari/index.js';
import { type AudioSocketLeg, audioSocketKind, isUuid, KNOWN_FORMATS } from './audiosocket-link.js';
import { ev } from './event-factory.js';
import type { PendingMediaSocket } from './chan-websocket-server.js';
import type { SimUnicastRtp } from './sim-unicast-rtp.js';
import type { ChannelRouteDeps } from './rest-deps.js';
import { ok, param, type Route, type SimReply, type SimRequest } from './rest-types.js';
import { ariError } from './sim-core.js';
import { channelSnapshot, type SimChannel } from './sim-model.js';

const INTERNAL_ERROR = 'An internal error prevented this request from being handled';

const FRAME_BYTES: Readonly<Record<string, number>> = {
  ulaw: 160,
  alaw: 160,
  slin: 320,
  slin16: 640,
  slin24: 960,
  slin48: 1920,
};

function oneOf(value: string, allowed: readonly string[], name: string): void {
  if (!allowed.includes(value)) throw ariError(400, `${name} must be one of ${allowed.join(', ')}`);
}

function hostPort(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw ariError(500, INTERNAL_ERROR);
  return { host: value.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}

export function externalMediaRoute(deps: ChannelRouteDeps): Route {
  const { core } = deps;
  let rtpPort = 10000;

  const handler = async (req: SimRequest): Promise<SimReply> => {
    const app = param(req, 'app');
    if (app === undefined) throw ariError(400, 'app cannot be empty');
    const encapsulation = param(req, 'encapsulation') ?? 'rtp';
    const transport = param(req, 'transport') ?? 'udp';
    const connectionType = param(req, 'connection_type') ?? 'client';
    const direction = param(req, 'direction') ?? 'both';
    oneOf(encapsulation, EXTERNAL_MEDIA_ENCAPSULATIONS, 'encapsulation');
    oneOf(transport, EXTERNAL_MEDIA_TRANSPORTS, 'transport');
    oneOf(connectionType, EXTERNAL_MEDIA_CONNECTION_TYPES, 'connection_type');
    oneOf(direction, MEDIA_DIRECTIONS, 'direction');
    const externalHost = param(req, 'external_host');
    const wsServer = transport === 'websocket' && connectionType === 'server';
    if (externalHost === undefined && !wsServer) throw ariError(400, 'external_host cannot be empty');
    const format = param(req, 'format');
    if (format === undefined) throw ariError(400, 'format cannot be empty');
    if (encapsulation === 'audiosocket' && transport !== 'tcp') {
      throw ariError(400, "transport must be 'tcp' for audiosocket encapsulation");
    }
    if (encapsulation === 'rtp' && transport !== 'udp')
      throw ariError(400, "transport must be 'udp' for rtp encapsulation");
    if (transport === 'websocket' && encapsulation !== 'none') {
      throw ariError(400, "encapsulation must be 'none' for websocket transport");
    }
    if (connectionType === 'server' && transport !== 'websocket') {
      throw ariError(400, "connection_type 'server' is only valid for websocket transport");
    }
    const data = param(req, 'data');
    if (encapsulation === 'audiosocket' && data === undefined) throw ariError(400, 'data can not be empty');
    const channelId = param(req, 'channelId');
    if (channelId !== undefined && core.channels.has(channelId)) {
      throw ariError(409, 'Channel with given unique ID already exists');
    }
    if (!KNOWN_FORMATS.has(format)) throw ariError(500, INTERNAL_ERROR);

    if (encapsulation === 'audiosocket') {
      const uuid = data ?? '';
      if (!isUuid(uuid)) throw ariError(500, INTERNAL_ERROR);
      const target = hostPort(externalHost ?? '');
      let resolveSource!: (audio: unknown) => void;
      const source = new Promise<unknown>((resolve) => {
        resolveSource = resolve;
      });
      let leg: AudioSocketLeg | undefined;
      if (deps.dial) {
        try {
          leg = await deps.dial({
            ...target,
            uuid,
            format,
            kind: audioSocketKind(format),
            source,
            signal: deps.signal,
          });
        } catch {
          throw ariError(500, INTERNAL_ERROR);
        }
      }
      const ch = core.createChannel({
        id: channelId,
        name: `AudioSocket/${externalHost}-${uuid}`,
        tech: 'AudioSocket',
        origin: 'ari',
        state: 'Down',
        dialplan: outgoingLine(),
        channelvars: { AUDIOSOCKET_SERVICE: externalHost ?? '', AUDIOSOCKET_UUID: uuid },
        app,
        variables: req.variables,
      });
      ch.sourceResolver = resolveSource;
      if (leg) watchLeg(ch, leg);
      return ok(channelSnapshot(ch, true), () =>
        enterStasisLater(ch, () => core.dialAnswered(ch, `${externalHost}/${uuid}`, [uuid])),
      );
    }

    if (transport === 'websocket') {
      const connectionId = wsServer ? randomUUID() : (externalHost ?? '');
      const client = wsServer ? undefined : deps.mediaSockets?.client(connectionId);
      if (!wsServer && deps.mediaSockets && !client) throw ariError(500, INTERNAL_ERROR);
      const ch = core.createChannel({
        id: channelId,
        name: `WebSocket/${wsServer ? 'INCOMING' : externalHost}/0x${randomBytes(6).toString('hex')}`,
        tech: 'WebSocket',
        origin: 'ari',
        state: 'Down',
        dialplan: outgoingLine(),
        channelvars: {
          MEDIA_WEBSOCKET_CONNECTION_ID: connectionId,
          MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE: String(FRAME_BYTES[format] ?? 320),
        },
        app,
        variables: req.variables,
      });
      const transportData = param(req, 'transport_data');
      const dialstring = `${wsServer ? 'INCOMING' : externalHost}${transportData === undefined ? '' : `/${transportData}`}`;
      deps.pendingWebSockets.set(ch.id, () => {
        deps.pendingWebSockets.delete(ch.id);
        core.setState(ch, 'Up');
        core.emit(ch, (s) => ev.dial(s, 'ANSWER', dialstring, channelSnapshot(ch)));
        enterStasisLater(ch, () => core.startStasis(ch, app, [], true));
      });
      if (deps.mediaSockets) {
        const controlFormat = /(?:^|\/)f\(plain-text\)/.test(transportData ?? '')
          ? ('plain-text' as const)
          : ('json' as const);
        const uriParams = /(?:^|[/)a-z])v\(([^)]*)\)/.exec(transportData ?? '')?.[1];
        const entry: PendingMediaSocket = {
          connectionId,
          uriParams,
          channel: ch,
          format,
          frameBytes: FRAME_BYTES[format] ?? 320,
          controlFormat,
          complete: () => deps.pendingWebSockets.get(ch.id)?.(),
          hangup: () => {
            if (core.channels.get(ch.id) === ch && !ch.ending) core.teardown(ch, 'media-closed', 16);
          },
        };
        if (client) {
          // websocket_client.conf: Asterisk connects out before answering; a failed connection is a 500.
          try {
            await deps.mediaSockets.dial(entry, client);
          } catch {
            core.teardown(ch, 'silent');
            throw ariError(500, INTERNAL_ERROR);
          }
          return ok(channelSnapshot(ch, true), () => {
            core.emit(ch, (s) => ev.dial(s, '', dialstring, channelSnapshot(ch)));
            deps.pendingWebSockets.get(ch.id)?.();
          });
        }
        deps.mediaSockets.register(entry);
      }
      return ok(channelSnapshot(ch, true), () => core.emit(ch, (s) => ev.dial(s, '', dialstring, channelSnapshot(ch))));
    }

    const target = hostPort(externalHost ?? '');
    const localPort = rtpPort;
    rtpPort += 2;
    const channelvars: Record<string, string> = {
      UNICASTRTP_LOCAL_ADDRESS: '127.0.0.1',
      UNICASTRTP_LOCAL_PORT: String(localPort),
    };
    const ch = core.createChannel({
      id: channelId,
      name: `UnicastRTP/${externalHost}-0x${randomBytes(6).toString('hex')}`,
      tech: 'UnicastRTP',
      origin: 'ari',
      state: 'Down',
      dialplan: outgoingLine(),
      channelvars,
      app,
      variables: req.variables,
    });
    if (deps.rtpMedia) {
      let stream: SimUnicastRtp;
      try {
        stream = await deps.rtpMedia.open({ channelId: ch.id, format, target });
      } catch {
        core.teardown(ch, 'silent');
        throw ariError(500, INTERNAL_ERROR);
      }
      Object.assign(channelvars, stream.channelvars);
      ch.leg = { hangup: () => stream.hangup(), closed: stream.closed };
      ch.sourceResolver = (audio) => stream.bridged(audio);
    }
    return ok(channelSnapshot(ch, true), () =>
      core.dialAnswered(ch, externalHost ?? '', data === undefined ? [] : [data]),
    );
  };

  /** Runs `enter` (the channel's way into Stasis) now, or after the configured delay if it is still alive then. */
  function enterStasisLater(ch: SimChannel, enter: () => void): void {
    const delay = deps.mediaStasisDelayMs?.() ?? 0;
    if (delay <= 0) {
      enter();
      return;
    }
    core.later(delay, () => {
      if (core.channels.get(ch.id) === ch && !ch.ending) enter();
    });
  }

  /** The AudioSocket server closing the connection hangs the channel up (04-server-hangup, 04b-server-close). */
  function watchLeg(ch: SimChannel, leg: AudioSocketLeg): void {
    ch.leg = leg;
    void Promise.resolve(leg.closed)
      .catch(() => undefined)
      .then(() => {
        if (core.channels.get(ch.id) === ch && !ch.ending) core.teardown(ch, 'media-closed', 16);
      });
  }

  return { method: 'POST', pattern: /^\/channels\/externalMedia$/, handler };
}

function outgoingLine() {
  return { context: 'default', exten: 's', priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' };
}
