import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARS } from '../../../src/config/env-vars.js';
import { parseRoutesFile } from '../../../src/config/load-config.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string) => readFileSync(`${root}${p}`, 'utf8');

interface Service {
  build?: string;
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, unknown>;
}
const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

/** The value of `key = value` in an Asterisk .conf section. */
function confValue(text: string, section: string, key: string): string | undefined {
  const start = text.indexOf(`[${section}]`);
  if (start < 0) return undefined;
  const rest = text.slice(start + section.length + 2);
  const end = rest.search(/^\[/m);
  const body = end < 0 ? rest : rest.slice(0, end);
  const m = new RegExp(`^\\s*${key}\\s*=\\s*([^;\\n]+)`, 'm').exec(body);
  return m?.[1]?.trim();
}

describe('docker-compose lab', () => {
  it('has the services the lab needs, each buildable or pinned', () => {
    expect(Object.keys(services).sort()).toEqual(['adapter', 'agent', 'asterisk', 'mysql', 'redis']);
    for (const [name, s] of Object.entries(services)) {
      if (s.image) expect(s.image, name).toMatch(/:[0-9]/);
      if (s.build) expect(existsSync(`${root}${s.build}`), `${name} build context`).toBe(true);
    }
    expect(existsSync(`${root}asterisk-conf/docker/Dockerfile`)).toBe(true);
    expect(existsSync(`${root}Dockerfile`)).toBe(true);
  });

  it('gives the adapter only variables its config schema knows (or that its routes file names as secrets)', () => {
    const env = services.adapter!.environment!;
    const routesMount = services.adapter!.volumes!.find((v) => v.endsWith(':/config/routes.json:ro'))!;
    const routes = parseRoutesFile('routes.json', read(routesMount.split(':')[0]!.replace(/^\.\//, '')));
    const secretNames = new Set(
      routes.flatMap((r) => ('secretEnv' in r.agent && r.agent.secretEnv ? [r.agent.secretEnv] : [])),
    );
    for (const key of Object.keys(env)) {
      expect(key in ENV_VARS || secretNames.has(key), `${key} is not a configuration variable`).toBe(true);
    }
    expect(env.ROUTES_FILE).toBe('/config/routes.json');
    for (const name of secretNames) expect(env[name], name).toBeDefined();
  });

  it('agrees with asterisk-conf: ARI user, application name, AudioSocket address, HTTP port', () => {
    const env = services.adapter!.environment!;
    const ari = read('asterisk-conf/ari.conf');
    expect(confValue(ari, env.ARI_USERNAME!, 'type')).toBe('user');
    expect(confValue(ari, env.ARI_USERNAME!, 'read_only')).toBe('no');
    expect(env.ARI_URL).toBe(
      `http://asterisk:${confValue(read('asterisk-conf/lab/http.conf'), 'general', 'bindport')}`,
    );
    expect(confValue(read('asterisk-conf/extensions.conf'), 'globals', 'ADAPTER_APP')).toBe(env.ARI_APP);
    const labGlobals = /^\s*ADAPTER_AUDIOSOCKET\s*=\s*(\S+)/m.exec(
      read('asterisk-conf/lab/extensions_globals_local.conf'),
    );
    expect(labGlobals?.[1]).toBe(env.AUDIOSOCKET_ADVERTISE_HOST);
    expect(read('asterisk-conf/extensions.conf')).toContain('#tryinclude extensions_globals_local.conf');
    expect(env.AUDIOSOCKET_ADVERTISE_HOST).toBe(`adapter:${env.AUDIOSOCKET_PORT}`);
    const agentCommand = (services.agent as { command: string[] }).command;
    const agentPort = agentCommand[agentCommand.indexOf('--port') + 1];
    const routes = parseRoutesFile('routes.json', read('asterisk-conf/lab/routes.json'));
    expect(routes[0]!.agent).toMatchObject({ url: `ws://agent:${agentPort}/call` });
  });

  it('publishes only the SIP, WSS, RTP and API ports', () => {
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name} ${p}`));
    const rtp = read('asterisk-conf/rtp.conf');
    const range = `${confValue(rtp, 'general', 'rtpstart')}-${confValue(rtp, 'general', 'rtpend')}`;
    expect(published.sort()).toEqual(
      [
        `adapter 8080:${services.adapter!.environment!.HTTP_PORT}`,
        'asterisk 5060:5060/udp',
        `asterisk 8089:${/tlsbindaddr\s*=\s*[\d.]+:(\d+)/.exec(read('asterisk-conf/lab/http.conf'))?.[1]}`,
        `asterisk ${range}:${range}/udp`,
      ].sort(),
    );
  });

  it('takes every secret from .env, and .env.example names each one', () => {
    const text = read('docker-compose.yml');
    const required = [...text.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]!);
    const example = read('.env.example');
    for (const name of new Set(required)) expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
    expect(text).not.toMatch(/PASSWORD:\s+[^$\s]/);
  });

  it('declares the named volumes it uses', () => {
    const named = Object.values(services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0]!)
      .filter((v) => !v.startsWith('.'));
    for (const v of named) expect(compose.volumes, v).toHaveProperty(v);
  });
});
