import { z } from 'zod';
import type { ConfigIssue } from '../errors/config-error.js';
import { envSpec } from './env-spec.js';

/** The media workers' environment variables (`ava serve --media-workers N`), part of ENV_VARS. */
export const MEDIA_WORKER_ENV_VARS = {
  MEDIA_WORKERS: envSpec({
    schema: z.coerce.number().int().min(0).max(64),
    default: '0',
    description:
      'Worker processes that carry the media of Stasis calls (AudioSocket leg, media bridge, agent connection); 0 keeps everything in one process. Worker i listens for AudioSocket on AUDIOSOCKET_PORT+1+i (an ephemeral port when AUDIOSOCKET_PORT is 0); a range that takes HTTP_PORT or CHAN_WEBSOCKET_LISTEN_PORT is refused. Each worker binds RTP on its own share of RTP_PORT_MIN..RTP_PORT_MAX. Routes must use AudioSocket, chan_websocket (server mode) or RTP media and an echo, websocket (native or pipecat), twilio or openai-realtime agent; others are refused at start.',
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

/** MEDIA_WORKERS whose ports (AUDIOSOCKET_PORT+1 … +N) would collide with another listener of the service. */
export function mediaWorkerPortIssues(v: ListeningPorts): ConfigIssue[] {
  if (v.MEDIA_WORKERS === 0 || v.AUDIOSOCKET_PORT === 0) return [];
  const first = v.AUDIOSOCKET_PORT + 1;
  const last = v.AUDIOSOCKET_PORT + v.MEDIA_WORKERS;
  const others: [string, number, boolean][] = [
    ['HTTP_PORT', v.HTTP_PORT, v.HTTP_ENABLED],
    ['CHAN_WEBSOCKET_LISTEN_PORT', v.CHAN_WEBSOCKET_LISTEN_PORT, v.CHAN_WEBSOCKET_CONNECTION === 'client'],
  ];
  const issues: ConfigIssue[] = [];
  if (last > 65535) issues.push({ variable: 'MEDIA_WORKERS', message: `worker ports ${first}-${last} pass 65535` });
  for (const [name, port, used] of others) {
    if (used && port >= first && port <= last)
      issues.push({
        variable: 'MEDIA_WORKERS',
        message: `the media workers listen on AUDIOSOCKET_PORT+1..+${v.MEDIA_WORKERS} (${first}-${last}), which takes ${name} ${port}; move one of them`,
      });
  }
  return issues;
}
