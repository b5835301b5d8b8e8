import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { WorkerRtpSockets } from '../../../src/calls/media-workers/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { FromWorker } from '../../../src/protocols/media-worker/messages.js';
import { decodeRtp } from '../../../src/protocols/rtp/index.js';
import { RtpPortPool } from '../../../src/transports/rtp/rtp-port-pool.js';

const logger = createLogger({ level: 'silent', pretty: false });

function sockets(ports: number) {
  const minPort = 41000 + randomInt(0, 400) * 20;
  const pool = new RtpPortPool({ host: '127.0.0.1', minPort, maxPort: minPort + ports - 1 });
  const sent: FromWorker[] = [];
  const rtp = new WorkerRtpSockets(
    { ports: pool, jitterMs: 60, slin16Send: 'slin', payloadTypes: {}, clock: { subscribe: () => () => {} } },
    (m) => void sent.push(m),
  );
  return { pool, sent, rtp, minPort };
}

describe('a media worker’s RTP sockets', () => {
  it('binds a port of its own range and answers with it; a call that ends before it starts gives the port back', async () => {
    const { pool, sent, rtp, minPort } = sockets(2);
    await rtp.open('c1', logger);
    expect(sent).toEqual([{ type: 'rtp.bound', callId: 'c1', port: minPort }]);
    expect(pool.inUse).toBe(1);
    rtp.release('c1');
    expect(pool.inUse).toBe(0);
    // Ended while the port was being bound: released as soon as it is bound, nothing announced.
    const opening = rtp.open('c2', logger);
    rtp.release('c2');
    await opening;
    expect(pool.inUse).toBe(0);
    expect(sent).toHaveLength(1);
  });

  it('answers rtp.bindFailed RTP_PORTS_EXHAUSTED when its range is used up', async () => {
    const { sent, rtp } = sockets(1);
    await rtp.open('c1', logger);
    await rtp.open('c2', logger);
    expect(sent[1]).toMatchObject({ type: 'rtp.bindFailed', callId: 'c2', code: 'RTP_PORTS_EXHAUSTED' });
  });

  it('starts the leg on the bound socket, sending to the Asterisk address it was given in the format asked', async () => {
    const { pool, sent, rtp, minPort } = sockets(1);
    const asterisk = createSocket('udp4');
    await new Promise<void>((r) => asterisk.bind(0, '127.0.0.1', () => r()));
    try {
      await rtp.open('c1', logger);
      const leg = rtp.start(
        {
          type: 'call.startRtp',
          callId: 'c1',
          channelId: 'ch1',
          format: 'ulaw',
          peer: { address: '127.0.0.1', port: asterisk.address().port },
        },
        logger,
      )!;
      expect([leg.id, leg.port, leg.format]).toEqual(['ch1', minPort, { encoding: 'pcm16', sampleRate: 8000 }]);
      const got = new Promise<Buffer>((r) => asterisk.once('message', (m) => r(m)));
      leg.sendFrame(Buffer.alloc(320));
      const d = decodeRtp(await got);
      expect(d.kind === 'rtp' && [d.packet.payloadType, d.packet.payload.length]).toEqual([0, 160]);
      // Started: the port is the leg's now, released when it closes.
      rtp.release('c1');
      expect(pool.inUse).toBe(1);
      await leg.close();
      expect(pool.inUse).toBe(0);
      // A start for a call with no socket here is reported, not a crash.
      expect(rtp.start({ type: 'call.startRtp', callId: 'x', channelId: 'ch2', format: 'slin' }, logger)).toBe(
        undefined,
      );
      expect(sent.at(-1)).toMatchObject({ type: 'call.mediaFailed', callId: 'x', code: 'RTP_NOT_BOUND' });
    } finally {
      asterisk.close();
    }
  });
});
