import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClockTick } from '../../../src/audio/media-clock.js';
import { generateTone } from '../../../src/audio/tone-analysis.js';
import { decodeRtp, type RtpPacket } from '../../../src/protocols/rtp/index.js';
import { SimUnicastRtp } from '../../../src/simulator/ari/sim-unicast-rtp.js';
import { loadRtpPackets, loadRtpSummary, type RtpScenario } from '../../fixtures/asterisk-22.10/rtp-fixtures.js';
import { waitFor } from '../../support/wait.js';

const SCENARIOS: Record<string, RtpScenario> = {
  ulaw: '11-externalmedia-rtp-ulaw',
  slin16: '12-externalmedia-rtp-slin16',
  alaw: '17-externalmedia-rtp-alaw',
  slin: '18-externalmedia-rtp-slin',
};

const tick = (index: number): ClockTick => ({
  index,
  phase: 0,
  scheduledAt: index * 20,
  firedAt: index * 20,
  missed: 0,
});

describe('the simulated UnicastRTP channel against the recordings of Asterisk 22.10.1', () => {
  let app: Socket | undefined;
  let sim: SimUnicastRtp | undefined;
  afterEach(() => {
    sim?.hangup();
    app?.close();
    sim = undefined;
    app = undefined;
  });

  async function open(format: string): Promise<{ got: RtpPacket[]; from: string[] }> {
    const got: RtpPacket[] = [];
    const from: string[] = [];
    const sock = createSocket('udp4');
    app = sock;
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    sock.on('message', (msg, rinfo) => {
      const d = decodeRtp(msg);
      if (d.kind === 'rtp') got.push(d.packet);
      from.push(`${rinfo.address}:${rinfo.port}`);
    });
    sim = await SimUnicastRtp.open({
      channelId: 'c',
      format,
      target: { host: '127.0.0.1', port: sock.address().port },
    });
    return { got, from };
  }

  for (const [format, scenario] of Object.entries(SCENARIOS)) {
    it(`${format}: payload type, size, numbering and no marker as recorded (${scenario})`, async () => {
      const recorded = loadRtpSummary(scenario).asterisk_to_controller;
      const [pt, sizes] = Object.entries(recorded.payload_types)[0]!;
      const size = Number(Object.keys(sizes.payload_sizes)[0]);
      const tsStep = Number(Object.keys(recorded.ts_steps)[0]);
      const { got, from } = await open(format);
      const rate = format === 'slin16' ? 16000 : 8000;
      // Nothing before the channel is bridged.
      sim!.tick(tick(0));
      sim!.bridged({ type: 'samples', samples: generateTone({ rate, freq: 440, amplitude: 8000, ms: 1000 }) });
      for (let i = 1; i <= 20; i++) sim!.tick(tick(i));
      await waitFor(() => got.length === 20, 2000, 'packets');
      expect(new Set(got.map((p) => p.payloadType))).toEqual(new Set([Number(pt)]));
      expect(new Set(got.map((p) => p.payload.length))).toEqual(new Set([size]));
      expect(got.filter((p) => p.marker)).toHaveLength(recorded.markers.length);
      expect(new Set(got.map((p) => p.ssrc)).size).toBe(recorded.ssrcs.length);
      for (let i = 1; i < got.length; i++) {
        expect((got[i]!.sequence - got[i - 1]!.sequence) & 0xffff).toBe(1);
        expect((got[i]!.timestamp - got[i - 1]!.timestamp) >>> 0).toBe(tsStep);
      }
      // From the address in its channel variables, as recorded.
      expect(new Set(from)).toEqual(
        new Set([`${sim!.channelvars.UNICASTRTP_LOCAL_ADDRESS}:${sim!.channelvars.UNICASTRTP_LOCAL_PORT}`]),
      );
    });
  }

  for (const scenario of ['12-externalmedia-rtp-slin16', '12b-externalmedia-rtp-slin16-pt118-back'] as const) {
    it(`reads back what Asterisk read, drops what it dropped (${scenario})`, async () => {
      const summary = loadRtpSummary(scenario);
      const back = loadRtpPackets(scenario).filter((p) => p.dir === 'out' && p.kind === 'rtp');
      await open('slin16');
      const sender = createSocket('udp4');
      await new Promise<void>((r) => sender.bind(0, '127.0.0.1', () => r()));
      try {
        // Paced a little, as recorded (a burst of 96 datagrams can overflow a loopback socket buffer).
        for (const p of back) {
          await new Promise((r) => sender.send(p.bytes, sim!.localPort, '127.0.0.1', r));
          await new Promise((r) => setTimeout(r, 1));
        }
        const heard = summary.sip_caller_received_from_asterisk?.packets ?? 0;
        await waitFor(() => sim!.received.length + sim!.dropped.payloadType >= back.length, 3000, 'all handled');
        // The recorded caller got a packet for each one Asterisk read (none for PT 118).
        expect(sim!.received.length === 0).toBe(heard === 0);
        expect(sim!.received.length + sim!.dropped.payloadType).toBe(back.length);
        if (heard > 0) expect(sim!.received.every((p) => p.rate === 8000 && p.format === 'slin')).toBe(true);
      } finally {
        sender.close();
      }
    });
  }
});
