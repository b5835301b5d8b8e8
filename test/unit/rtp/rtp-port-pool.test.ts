import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpPortPool } from '../../../src/transports/rtp/index.js';
import { rtpEnv } from '../../support/rtp-harness.js';

describe('RTP port pool', () => {
  const leases: { release(): void }[] = [];
  afterEach(() => {
    for (const l of leases.splice(0)) l.release();
  });

  function pool(ports: number): RtpPortPool {
    const min = Number(rtpEnv(ports).RTP_PORT_MIN);
    return new RtpPortPool({ host: '127.0.0.1', minPort: min, maxPort: min + ports - 1 });
  }

  it('binds one socket per call, refuses with RTP_PORTS_EXHAUSTED when all are taken, and counts it', async () => {
    const p = pool(2);
    const a = await p.open();
    const b = await p.open();
    leases.push(a, b);
    expect(a.port).not.toBe(b.port);
    expect(p.inUse).toBe(2);
    await expect(p.open()).rejects.toMatchObject({ code: 'RTP_PORTS_EXHAUSTED', retryable: true });
    expect(p.stats.refusals).toBe(1);
    a.release();
    a.release();
    expect(p.inUse).toBe(1);
    const c = await p.open();
    leases.push(c);
    expect(c.port).toBe(a.port);
  });

  it('takes ports round-robin (a port just freed is not reused at once) and skips ports held by others', async () => {
    const p = pool(3);
    const first = await p.open();
    first.release();
    const second = await p.open();
    leases.push(second);
    expect(second.port).not.toBe(first.port);
    // Someone else holds the next port: it is skipped.
    const other = createSocket('udp4');
    await new Promise<void>((r) => other.bind(second.port + 1, '127.0.0.1', () => r()));
    try {
      const third = await p.open();
      leases.push(third);
      expect(third.port).not.toBe(second.port + 1);
    } finally {
      other.close();
    }
  });

  it('refuses a bad range', () => {
    expect(() => new RtpPortPool({ host: '0.0.0.0', minPort: 5000, maxPort: 4000 })).toThrow(RangeError);
  });
});
