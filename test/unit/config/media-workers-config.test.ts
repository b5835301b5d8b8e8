import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { loadConfig } from '../../../src/config/load-config.js';
import { defaultMediaWorkers } from '../../../src/config/media-worker-env-vars.js';
import { ConfigError } from '../../../src/errors/config-error.js';
import { workerAudioSocketPort } from '../../../src/calls/media-workers/index.js';

function refusal(env: Record<string, string>, availableCores?: number): ConfigError {
  try {
    loadConfig({ env, ...(availableCores !== undefined ? { availableCores } : {}) });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

describe('MEDIA_WORKERS', () => {
  it('defaults to the cores available, less one above two, and takes a count (0: one process)', () => {
    const auto = (cores: number) => loadConfig({ env: {}, availableCores: cores }).mediaWorkers;
    expect([1, 2, 3, 4, 8, 16].map(auto)).toEqual([1, 2, 2, 3, 7, 15]);
    expect(auto(200)).toBe(64);
    expect(loadConfig({ env: { MEDIA_WORKERS: 'auto' }, availableCores: 4 }).mediaWorkers).toBe(3);
    expect(loadConfig({ env: {} }).mediaWorkers).toBe(defaultMediaWorkers(availableParallelism()));
    expect(loadConfig({ env: { MEDIA_WORKERS: '3' }, availableCores: 8 }).mediaWorkers).toBe(3);
    expect(loadConfig({ env: { MEDIA_WORKERS: '0' }, availableCores: 8 }).mediaWorkers).toBe(0);
  });

  it('names the default when the workers it gives would pass the last port', () => {
    const err = refusal({ AUDIOSOCKET_PORT: '65533' }, 4);
    expect(err.message).toMatch(/65534-65536 pass 65535.*MEDIA_WORKERS=auto, the default, gave 3/);
  });

  it('refuses what is not a small count, naming the variable', () => {
    for (const bad of ['-1', 'two', '1.5', '65']) {
      expect(refusal({ MEDIA_WORKERS: bad }).issues.map((i) => i.variable)).toEqual(['MEDIA_WORKERS']);
    }
  });

  it("gives worker i AUDIOSOCKET_PORT+1+i, stepping over the service's other listeners", () => {
    const ports = (env: Record<string, string>) => {
      const config = loadConfig({ env });
      return Array.from({ length: config.mediaWorkers }, (_, i) => workerAudioSocketPort(config, i));
    };
    expect(ports({ MEDIA_WORKERS: '2', AUDIOSOCKET_PORT: '9093' })).toEqual([9094, 9095]);
    // chan_websocket's listener (client mode, default 9094) and the HTTP port are stepped over, not refused.
    const client = { CHAN_WEBSOCKET_CONNECTION: 'client', CHAN_WEBSOCKET_PASSWORD: 'a-long-enough-password' };
    expect(ports({ MEDIA_WORKERS: '2', AUDIOSOCKET_PORT: '9093', ...client })).toEqual([9095, 9096]);
    expect(ports({ MEDIA_WORKERS: '3', AUDIOSOCKET_PORT: '8078', HTTP_PORT: '8080', ...client })).toEqual([
      8079, 8081, 8082,
    ]);
    expect(ports({ MEDIA_WORKERS: '2', AUDIOSOCKET_PORT: '8078', HTTP_ENABLED: 'false' })).toEqual([8079, 8080]);
    expect(ports({ MEDIA_WORKERS: '4', AUDIOSOCKET_PORT: '0' })).toEqual([0, 0, 0, 0]);
    expect(refusal({ MEDIA_WORKERS: '3', AUDIOSOCKET_PORT: '65533' }).message).toMatch(/pass 65535/);
  });
});
