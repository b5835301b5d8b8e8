import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { workerRtpPortRange } from '../../../src/config/rtp-port-split.js';
import { ConfigError } from '../../../src/errors/config-error.js';

const rtpRoute = (name = 'rtp') => JSON.stringify({ routes: [{ name, media: 'rtp', agent: { kind: 'echo' } }] });

function load(env: Record<string, string>, routes?: string) {
  return loadConfig({
    env: { ...(routes ? { ROUTES_FILE: '/routes.json' } : {}), ...env },
    readFile: () => routes ?? '',
  });
}

describe('RTP ports split among media workers', () => {
  it('cuts the range into consecutive sub-ranges by slot, the first ones one port longer when it does not divide', () => {
    const range = { minPort: 20000, maxPort: 20999 };
    expect([0, 1].map((s) => workerRtpPortRange(range, 2, s))).toEqual([
      { minPort: 20000, maxPort: 20499 },
      { minPort: 20500, maxPort: 20999 },
    ]);
    expect([0, 1, 2].map((s) => workerRtpPortRange(range, 3, s))).toEqual([
      { minPort: 20000, maxPort: 20333 },
      { minPort: 20334, maxPort: 20666 },
      { minPort: 20667, maxPort: 20999 },
    ]);
    expect(workerRtpPortRange(range, 1, 0)).toEqual(range);
  });

  it('covers every port of the range exactly once, for any range and worker count', () => {
    for (const [min, max] of [
      [30000, 30000],
      [30000, 30006],
      [40000, 40999],
      [1024, 65535],
    ] as const) {
      const size = max - min + 1;
      for (let workers = 1; workers <= Math.min(size, 64); workers++) {
        const parts = Array.from({ length: workers }, (_, s) =>
          workerRtpPortRange({ minPort: min, maxPort: max }, workers, s),
        );
        expect(parts[0]!.minPort).toBe(min);
        expect(parts.at(-1)!.maxPort).toBe(max);
        for (let s = 1; s < workers; s++) expect(parts[s]!.minPort).toBe(parts[s - 1]!.maxPort + 1);
        const sizes = parts.map((p) => p.maxPort - p.minPort + 1);
        expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('throws for a slot outside the pool or a range too small to give each worker a port', () => {
    expect(() => workerRtpPortRange({ minPort: 30000, maxPort: 30001 }, 3, 0)).toThrow(RangeError);
    expect(() => workerRtpPortRange({ minPort: 30000, maxPort: 30009 }, 2, 2)).toThrow(RangeError);
    expect(() => workerRtpPortRange({ minPort: 30000, maxPort: 30009 }, 0, 0)).toThrow(RangeError);
  });

  it('refuses at load a range with fewer ports than workers when a route uses RTP, naming the route and the fix', () => {
    let err: unknown;
    try {
      load({ MEDIA_WORKERS: '3', RTP_PORT_MIN: '30000', RTP_PORT_MAX: '30001' }, rtpRoute('sales'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues.map((i) => i.variable)).toEqual(['RTP_PORT_MAX']);
    expect(issues[0]!.message).toMatch(/MEDIA_WORKERS=3 .*30000-30001, 2 ports.*route "sales".*3 ports or more/);
    // Enough ports, no workers, or no RTP route: accepted.
    expect(load({ MEDIA_WORKERS: '3', RTP_PORT_MIN: '30000', RTP_PORT_MAX: '30002' }, rtpRoute()).mediaWorkers).toBe(3);
    expect(load({ MEDIA_WORKERS: '0', RTP_PORT_MIN: '30000', RTP_PORT_MAX: '30000' }, rtpRoute()).mediaWorkers).toBe(0);
    expect(load({ MEDIA_WORKERS: '3', RTP_PORT_MIN: '30000', RTP_PORT_MAX: '30000' }).mediaWorkers).toBe(3);
  });
});
