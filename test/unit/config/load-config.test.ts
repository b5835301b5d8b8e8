import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors/config-error.js';

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const c = loadConfig({ env: {} });
    expect(c.audiosocket.port).toBe(9093);
    expect(c.audiosocket.host).toBe('0.0.0.0');
    expect(c.audiosocket.advertiseHost).toBeUndefined();
    expect(c.log.level).toBe('info');
    expect(c.playout.maxMs).toBe(120000);
    expect(c.routes).toEqual([]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.audiosocket)).toBe(true);
    expect(() => {
      (c.audiosocket as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('parses values from the environment', () => {
    const c = loadConfig({ env: { AUDIOSOCKET_PORT: '0', LOG_LEVEL: 'debug', LOG_PRETTY: 'true', INSTANCE_ID: 'a1' } });
    expect(c.audiosocket.port).toBe(0);
    expect(c.log).toEqual({ level: 'debug', pretty: true });
    expect(c.instanceId).toBe('a1');
  });

  it('VAD energy gate and worker placement: defaults, values and clear refusals', () => {
    expect(loadConfig({ env: {} }).vad).toMatchObject({
      energyGateDbfs: -65,
      workerCpus: 'auto',
      workerPriority: 'idle',
    });
    expect(
      loadConfig({ env: { VAD_ENERGY_GATE_DBFS: 'off', VAD_WORKER_CPUS: '2-3', VAD_WORKER_PRIORITY: '19' } }).vad,
    ).toMatchObject({ energyGateDbfs: undefined, workerCpus: '2-3', workerPriority: 19 });
    expect(loadConfig({ env: { VAD_ENERGY_GATE_DBFS: '-70', VAD_WORKER_CPUS: 'off' } }).vad).toMatchObject({
      energyGateDbfs: -70,
      workerCpus: 'off',
    });
    let err: unknown;
    try {
      loadConfig({ env: { VAD_ENERGY_GATE_DBFS: '-10', VAD_WORKER_CPUS: 'last', VAD_WORKER_PRIORITY: '20' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.variable)).toEqual(
      expect.arrayContaining(['VAD_ENERGY_GATE_DBFS', 'VAD_WORKER_CPUS', 'VAD_WORKER_PRIORITY']),
    );
    expect((err as ConfigError).message).toMatch(/VAD_WORKER_CPUS: expected auto, off or a CPU list/);
  });

  it('names every bad variable and what is allowed', () => {
    let err: unknown;
    try {
      loadConfig({ env: { AUDIOSOCKET_PORT: 'eighty', LOG_LEVEL: 'loud', LOG_PRETTY: 'maybe' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.map((i) => i.variable);
    expect(issues).toEqual(expect.arrayContaining(['AUDIOSOCKET_PORT', 'LOG_LEVEL', 'LOG_PRETTY']));
    expect((err as ConfigError).message).toMatch(/LOG_LEVEL: .*"fatal".*got "loud"/);
    expect((err as ConfigError).message).toMatch(/LOG_PRETTY: expected true or false/);
  });

  it('reads and validates a routes file', () => {
    const file = JSON.stringify({
      routes: [
        { name: 'sales', match: { extension: '2\\d\\d' }, agent: { kind: 'echo' }, audioFormat: 'slin16' },
        { name: 'fallback', agent: { kind: 'echo' } },
      ],
    });
    const c = loadConfig({ env: { ROUTES_FILE: '/routes.json' }, readFile: () => file });
    expect(c.routes.map((r) => r.name)).toEqual(['sales', 'fallback']);
    expect(c.routes[1]!.audioFormat).toBe('slin');
  });

  it('rejects a routes file with a clear path to the fault', () => {
    const bad = JSON.stringify({ routes: [{ name: 'x', match: { caller: '(' }, agent: { kind: 'nope' } }] });
    expect(() => loadConfig({ env: { ROUTES_FILE: 'r.json' }, readFile: () => bad })).toThrow(
      /ROUTES_FILE r\.json:routes\.0\.(match\.caller|agent)/,
    );
    expect(() => loadConfig({ env: { ROUTES_FILE: 'r.json' }, readFile: () => '{' })).toThrow(/not valid JSON/);
    expect(() =>
      loadConfig({
        env: { ROUTES_FILE: 'missing.json' },
        readFile: () => {
          throw new Error('ENOENT');
        },
      }),
    ).toThrow(/cannot read missing\.json/);
  });
});

describe('loadConfig: ARI and route secrets', () => {
  it('requires ARI_PASSWORD with ARI_URL and strips a trailing slash', () => {
    expect(() => loadConfig({ env: { ARI_URL: 'http://pbx:8088' } })).toThrow(/ARI_PASSWORD: required/);
    const c = loadConfig({ env: { ARI_URL: 'http://pbx:8088/', ARI_PASSWORD: 'pw' } });
    expect(c.ari).toMatchObject({ url: 'http://pbx:8088', username: 'adapter', app: 'voice-adapter' });
    expect(loadConfig({ env: {} }).ari).toBeUndefined();
  });

  it('resolves agent secrets from the variables routes name, and fails when one is missing', () => {
    const file = JSON.stringify({
      routes: [{ name: 'ws', agent: { kind: 'websocket', url: 'ws://agent:8080/call', secretEnv: 'WS_SECRET' } }],
    });
    const c = loadConfig({ env: { ROUTES_FILE: 'r', WS_SECRET: 's3cret' }, readFile: () => file });
    expect(c.routeSecrets).toEqual({ ws: 's3cret' });
    expect(c.routes[0]!.agent).toMatchObject({ kind: 'websocket', sampleRate: 16000 });
    expect(() => loadConfig({ env: { ROUTES_FILE: 'r' }, readFile: () => file })).toThrow(/WS_SECRET: route "ws"/);
  });

  it('refuses a secret written into the routes file instead of an env var name', () => {
    const file = JSON.stringify({
      routes: [{ name: 'ws', agent: { kind: 'websocket', url: 'ws://a/b', secretEnv: 'hunter2 plain' } }],
    });
    expect(() => loadConfig({ env: { ROUTES_FILE: 'r' }, readFile: () => file })).toThrow(
      /NAME of an environment variable/,
    );
  });
});
