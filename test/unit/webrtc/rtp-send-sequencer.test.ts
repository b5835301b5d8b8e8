import { describe, expect, it } from 'vitest';
import { RtpSendSequencer } from '../../../src/transports/webrtc/rtp-send-sequencer.js';

describe('RtpSendSequencer', () => {
  it('counts sequence numbers by one and timestamps by one packet, wrapping at 16 and 32 bits', () => {
    const values = [0.99999, 0.99999999];
    const seq = new RtpSendSequencer({ timestampStep: 960, packetMs: 20, random: () => values.shift() ?? 0 });
    const a = seq.next(0);
    const b = seq.next(20);
    const c = seq.next(40);
    expect(a.marker).toBe(true);
    expect(b.marker).toBe(false);
    expect(b.sequenceNumber).toBe((a.sequenceNumber + 1) & 0xffff);
    expect(c.sequenceNumber).toBe((a.sequenceNumber + 2) & 0xffff);
    expect(b.timestamp).toBe((a.timestamp + 960) >>> 0);
    expect(c.timestamp).toBe((a.timestamp + 1920) >>> 0);
  });

  it('after a pause: the timestamp advances by the pause, the sequence number does not, the marker is set', () => {
    const seq = new RtpSendSequencer({ timestampStep: 160, packetMs: 20, random: () => 0 });
    seq.next(0);
    seq.next(20);
    const after = seq.next(1040);
    expect(after.sequenceNumber).toBe(2);
    expect(after.timestamp).toBe(160 * 52);
    expect(after.marker).toBe(true);
    expect(seq.next(1060)).toMatchObject({ sequenceNumber: 3, timestamp: 160 * 53, marker: false });
  });

  it('packets sent in a burst keep consecutive timestamps', () => {
    const seq = new RtpSendSequencer({ timestampStep: 160, packetMs: 20, random: () => 0 });
    const burst = Array.from({ length: 5 }, () => seq.next(100));
    expect(burst.map((h) => h.timestamp)).toEqual([0, 160, 320, 480, 640]);
  });
});
