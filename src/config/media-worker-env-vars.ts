import { z } from 'zod';
import { envSpec } from './env-spec.js';

/** The media workers' environment variables (`ava serve --media-workers N`), part of ENV_VARS. */
export const MEDIA_WORKER_ENV_VARS = {
  MEDIA_WORKERS: envSpec({
    schema: z.coerce.number().int().min(0).max(64),
    default: '0',
    description:
      'Worker processes that carry the media of Stasis calls (AudioSocket leg, media bridge, agent connection); 0 keeps everything in one process. Worker i listens for AudioSocket on AUDIOSOCKET_PORT+1+i (an ephemeral port when AUDIOSOCKET_PORT is 0). Routes must use AudioSocket media and an echo, native websocket or twilio agent; others are refused at start.',
  }),
} as const;
