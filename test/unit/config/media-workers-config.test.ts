import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { loadConfig } from '../../../src/config/load-config.js';
import { defaultMediaWorkers } from '../../../src/config/media-worker-env-vars.js';
import { ConfigError } from '../../../src/errors/config-error.js';

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

  it('names the default when the workers it gives would take another listener', () => {
    const err = refusal({ AUDIOSOCKET_PORT: '8077', HTTP_PORT: '8080' }, 4);
    expect(err.message).toMatch(/8078-8080.*HTTP_PORT 8080.*MEDIA_WORKERS=auto, the default, gave 3/);
  });

  it('refuses what is not a small count, naming the variable', () => {
    for (const bad of ['-1', 'two', '1.5', '65']) {
      expect(refusal({ MEDIA_WORKERS: bad }).issues.map((i) => i.variable)).toEqual(['MEDIA_WORKERS']);
    }
  });

  it('refuses worker ports (AUDIOSOCKET_PORT+1..+N) that take another listener of the service', () => {
    const err = refusal({
      MEDIA_WORKERS: '2',
      AUDIOSOCKET_PORT: '9093',
      CHAN_WEBSOCKET_CONNECTION: 'client',
      CHAN_WEBSOCKET_PASSWORD: 'a-long-enough-password',
      CHAN_WEBSOCKET_LISTEN_PORT: '9094',
    });
    expect(err.message).toMatch(/MEDIA_WORKERS: .*9094-9095.*CHAN_WEBSOCKET_LISTEN_PORT 9094/);
    expect(refusal({ MEDIA_WORKERS: '1', AUDIOSOCKET_PORT: '8079' }).message).toMatch(/HTTP_PORT 8080/);
    // Ephemeral ports (AUDIOSOCKET_PORT=0), a disabled listener, or a port outside the range are fine.
    expect(loadConfig({ env: { MEDIA_WORKERS: '4', AUDIOSOCKET_PORT: '0' } }).mediaWorkers).toBe(4);
    expect(
      loadConfig({ env: { MEDIA_WORKERS: '1', AUDIOSOCKET_PORT: '8079', HTTP_ENABLED: 'false' } }).mediaWorkers,
    ).toBe(1);
    expect(loadConfig({ env: { MEDIA_WORKERS: '2', AUDIOSOCKET_PORT: '9093' } }).mediaWorkers).toBe(2);
  });
});
