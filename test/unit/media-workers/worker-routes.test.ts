import { describe, expect, it } from 'vitest';
import { mediaWorkerRefusal } from '../../../src/calls/media-workers/index.js';
import { type Route, routeSchema } from '../../../src/config/routes.js';

const route = (fields: Record<string, unknown>) => routeSchema.parse({ name: 'r', ...fields }) as Route;
const ws = { kind: 'websocket', url: 'ws://127.0.0.1:9/agent' };

describe('which routes media workers carry', () => {
  it('takes AudioSocket and chan_websocket routes with echo, native websocket and twilio agents', () => {
    expect(mediaWorkerRefusal(route({ agent: { kind: 'echo' } }))).toBeUndefined();
    expect(mediaWorkerRefusal(route({ agent: ws, media: 'audiosocket' }))).toBeUndefined();
    expect(mediaWorkerRefusal(route({ agent: { kind: 'twilio', url: 'ws://127.0.0.1:9/t' } }))).toBeUndefined();
    // chan_websocket media, when the workers connect to Asterisk (server mode, the default).
    expect(mediaWorkerRefusal(route({ agent: { kind: 'echo' }, media: 'websocket' }))).toBeUndefined();
  });

  it('refuses, saying why, other media, other agents and answering-machine detection', () => {
    expect(mediaWorkerRefusal(route({ agent: { kind: 'echo' }, media: 'rtp' }))).toMatch(/media "rtp"/);
    expect(mediaWorkerRefusal(route({ agent: { kind: 'echo' }, media: 'websocket' }), true)).toMatch(
      /media "websocket" with CHAN_WEBSOCKET_CONNECTION=client/,
    );
    expect(mediaWorkerRefusal(route({ agent: { ...ws, dialect: 'pipecat' } }))).toMatch(/websocket \(pipecat\)/);
    expect(mediaWorkerRefusal(route({ agent: { kind: 'echo' }, amd: { mode: 'adapter' } }))).toMatch(/amd/);
  });
});
