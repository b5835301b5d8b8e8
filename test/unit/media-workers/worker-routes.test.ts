import { describe, expect, it } from 'vitest';
import { mediaWorkerRefusal } from '../../../src/calls/media-workers/index.js';
import { type Route, routeSchema } from '../../../src/config/routes.js';

const route = (fields: Record<string, unknown>) => routeSchema.parse({ name: 'r', ...fields }) as Route;
const ws = { kind: 'websocket', url: 'ws://127.0.0.1:9/agent' };

describe('which routes media workers carry', () => {
  it('takes AudioSocket and chan_websocket routes with echo, native and Pipecat websocket, twilio and OpenAI Realtime agents', () => {
    expect(mediaWorkerRefusal(route({ agent: { kind: 'echo' } }))).toBeUndefined();
    expect(mediaWorkerRefusal(route({ agent: ws, media: 'audiosocket' }))).toBeUndefined();
    expect(mediaWorkerRefusal(route({ agent: { ...ws, dialect: 'pipecat' } }))).toBeUndefined();
    expect(mediaWorkerRefusal(route({ agent: { kind: 'twilio', url: 'ws://127.0.0.1:9/t' } }))).toBeUndefined();
    expect(
      mediaWorkerRefusal(route({ agent: { kind: 'openai-realtime', url: 'ws://127.0.0.1:9/rt' } })),
    ).toBeUndefined();
    // chan_websocket media, when the workers connect to Asterisk (server mode, the default).
    expect(mediaWorkerRefusal(route({ agent: { kind: 'echo' }, media: 'websocket' }))).toBeUndefined();
    // openai-sip: no media in the adapter, the sideband stays with the session in the primary.
    const sip = { kind: 'openai-sip', projectId: 'proj_1', secretEnv: 'K', webhookSecretEnv: 'W' };
    expect(mediaWorkerRefusal(route({ agent: sip }))).toBeUndefined();
    // Answering-machine detection runs on the worker, where the audio is.
    expect(mediaWorkerRefusal(route({ agent: { kind: 'echo' }, amd: { mode: 'adapter' } }))).toBeUndefined();
    // ... and when Asterisk connects to the primary (client mode): the connection is handed to the call's worker.
    expect(mediaWorkerRefusal(route({ agent: { kind: 'echo' }, media: 'websocket' }), true)).toBeUndefined();
    // RTP media (externalMedia UnicastRTP): each worker binds its own share of the RTP ports.
    expect(mediaWorkerRefusal(route({ agent: ws, media: 'rtp', audioFormat: 'ulaw' }))).toBeUndefined();
  });

  it('takes the agents that connect in at the primary: dial-in (both dialects) and WebRTC', () => {
    const dialIn = { kind: 'dial-in', dialect: 'pipecat', start: { url: 'http://127.0.0.1:9/s', secretEnv: 'S' } };
    expect(mediaWorkerRefusal(route({ agent: dialIn }))).toBeUndefined();
    expect(mediaWorkerRefusal(route({ agent: { kind: 'dial-in' } }))).toBeUndefined();
    expect(mediaWorkerRefusal(route({ agent: { kind: 'webrtc' } }))).toBeUndefined();
    expect(mediaWorkerRefusal(route({ agent: { kind: 'webrtc', url: 'ws://127.0.0.1:9/w' } }))).toBeUndefined();
  });
});
