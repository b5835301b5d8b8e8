import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors/config-error.js';

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ env });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

describe('MEDIA_WORKERS', () => {
  it('defaults to 0 (one process) and takes a count', () => {
    expect(loadConfig({ env: {} }).mediaWorkers).toBe(0);
    expect(loadConfig({ env: { MEDIA_WORKERS: '3' } }).mediaWorkers).toBe(3);
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
