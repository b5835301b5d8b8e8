import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { ConfigIssue } from '../errors/config-error.js';
import { envSpec } from './env-spec.js';

/** The most media workers one instance runs. */
export const MAX_MEDIA_WORKERS = 64;

/**
 * The media workers MEDIA_WORKERS=auto (the default) stands for: the cores available to the process, less one when
 * there are more than two (that core is left to the primary: ARI, HTTP, jobs).
 */
export function defaultMediaWorkers(cores: number = availableParallelism()): number {
  const n = Math.max(1, Math.floor(cores));
  return Math.min(n > 2 ? n - 1 : n, MAX_MEDIA_WORKERS);
}

/** The media workers' environment variables (`ava serve --media-workers N`), part of ENV_VARS. */
export const MEDIA_WORKER_ENV_VARS = {
  MEDIA_WORKERS: envSpec({
    schema: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(MAX_MEDIA_WORKERS)]),
    default: 'auto',
    description:
      'Worker processes that carry the media of calls (media leg, media bridge, agent connection); 0 keeps everything in one process. `auto`: the cores available to the process (os.availableParallelism()), less one when there are more than two. Worker i listens for AudioSocket on AUDIOSOCKET_PORT+1+i, stepping over HTTP_PORT and CHAN_WEBSOCKET_LISTEN_PORT (client mode) where they are in the way (an ephemeral port when AUDIOSOCKET_PORT is 0). Each worker binds RTP on its own share of RTP_PORT_MIN..RTP_PORT_MAX. Every route runs on the workers (AudioSocket, chan_websocket in server or client mode, RTP; every agent kind, amd included; agents that connect in at the HTTP server, dial-in, WebRTC and invite, are handed to the worker of the call); only agent kinds injected into the process run their calls in the primary (logged per route at start).',
  }),
} as const;

/** The ports a configuration listens on that the media workers' AudioSocket ports must not take. */
export interface ListeningPorts {
  MEDIA_WORKERS: number;
  AUDIOSOCKET_PORT: number;
  HTTP_ENABLED: boolean;
  HTTP_PORT: number;
  CHAN_WEBSOCKET_CONNECTION: string;
  CHAN_WEBSOCKET_LISTEN_PORT: number;
}

/**
 * The AudioSocket port of media worker `slot`: the (slot+1)-th port above AUDIOSOCKET_PORT that no other listener of
 * the service takes (`taken`: HTTP_PORT, CHAN_WEBSOCKET_LISTEN_PORT in client mode), so with nothing in the way worker
 * i listens on AUDIOSOCKET_PORT+1+i. An ephemeral port (0) when AUDIOSOCKET_PORT is 0.
 */
export function mediaWorkerAudioSocketPort(basePort: number, slot: number, taken: readonly number[] = []): number {
  if (basePort === 0) return 0;
  let port = basePort;
  for (let i = 0; i <= slot; i++) {
    port++;
    while (taken.includes(port)) port++;
  }
  return port;
}

/** The listeners of a configuration that the media workers' AudioSocket ports step over. */
export function takenListenerPorts(v: ListeningPorts): number[] {
  return [
    ...(v.HTTP_ENABLED ? [v.HTTP_PORT] : []),
    ...(v.CHAN_WEBSOCKET_CONNECTION === 'client' ? [v.CHAN_WEBSOCKET_LISTEN_PORT] : []),
  ];
}

/**
 * MEDIA_WORKERS whose AudioSocket ports would pass 65535 (the ports step over the service's other listeners, see
 * `mediaWorkerAudioSocketPort`). `auto`: the count came from MEDIA_WORKERS=auto (the default), which the message says.
 */
export function mediaWorkerPortIssues(v: ListeningPorts, auto = false): ConfigIssue[] {
  if (v.MEDIA_WORKERS === 0 || v.AUDIOSOCKET_PORT === 0) return [];
  const taken = takenListenerPorts(v);
  const first = mediaWorkerAudioSocketPort(v.AUDIOSOCKET_PORT, 0, taken);
  const last = mediaWorkerAudioSocketPort(v.AUDIOSOCKET_PORT, v.MEDIA_WORKERS - 1, taken);
  const why = auto
    ? ` (MEDIA_WORKERS=auto, the default, gave ${v.MEDIA_WORKERS} for the cores available; set MEDIA_WORKERS to a count, or 0 for one process)`
    : '';
  return last > 65535 ? [{ variable: 'MEDIA_WORKERS', message: `worker ports ${first}-${last} pass 65535${why}` }] : [];
}
