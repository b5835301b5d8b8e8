import { describe, expect, it } from 'vitest';
import { createRtpAudioCodec } from '../../../src/transports/webrtc/rtp-audio-codec.js';
import { RtpAudioPipeline } from '../../../src/transports/webrtc/rtp-audio-pipeline.js';
import { RtpJitterBuffer } from '../../../src/transports/webrtc/rtp-jitter-buffer.js';
import type { RtpSendHeader } from '../../../src/transports/webrtc/rtp-send-sequencer.js';

function pipeline(maxQueuedFrames?: number) {
  const sent: Array<{ header: RtpSendHeader; payload: Buffer }> = [];
  const heard: Buffer[] = [];
  let pauses = 0;
  const p = new RtpAudioPipeline({
    codec: createRtpAudioCodec('PCMU', 8000),
    payloadType: 0,
    sink: { sendRtp: (header, payload) => sent.push({ header, payload }) },
    jitter: new RtpJitterBuffer({ targetDepth: 2 }),
    onAudio: (d) => heard.push(d),
    onPause: () => {
      pauses += 1;
    },
    ...(maxQueuedFrames === undefined ? {} : { maxQueuedFrames }),
    now: () => 0,
    random: () => 0,
  });
  return { p, sent, heard, pauses: () => pauses };
}

const frame = (v: number) => Buffer.alloc(160, v);

describe('RtpAudioPipeline', () => {
  it('sends 20 ms frames, cut from any chunking, with consecutive sequence numbers', () => {
    const { p, sent } = pipeline();
    p.send(Buffer.alloc(100, 1));
    expect(sent).toHaveLength(0);
    p.send(Buffer.alloc(60, 1));
    expect(sent).toHaveLength(1);
    p.tick();
    p.send(Buffer.alloc(160, 2));
    expect(sent.map((s) => s.header.sequenceNumber)).toEqual([0, 1]);
    expect(sent.every((s) => s.payload.length === 160)).toBe(true);
  });

  it('never sends faster than real time: of a burst only the newest frames that fit the queue go out', () => {
    const { p, sent } = pipeline(2);
    p.send(Buffer.concat(Array.from({ length: 10 }, (_, i) => frame(i))));
    expect(sent.map((s) => s.payload[0])).toEqual([8, 9]);
    expect(p.stats.framesDropped).toBe(8);
    // Then one frame per tick, as it comes: two frames in one tick wait for the next.
    p.send(Buffer.concat([frame(10), frame(11)]));
    expect(sent.map((s) => s.payload[0])).toEqual([8, 9]);
    p.tick();
    expect(sent.map((s) => s.payload[0])).toEqual([8, 9, 10]);
    p.tick();
    expect(sent.map((s) => s.payload[0])).toEqual([8, 9, 10, 11]);
  });

  it('plays one packet per tick after a silent lead-in frame, conceals a gap, reports the pause', () => {
    const { p, heard, pauses } = pipeline();
    for (const seq of [1, 2, 4])
      p.receive({ payloadType: 0, sequenceNumber: seq, timestamp: 0, marker: false, payload: frame(seq) });
    p.receive({ payloadType: 8, sequenceNumber: 5, timestamp: 0, marker: false, payload: frame(5) });
    expect(p.stats.unexpectedPayloadType).toBe(1);
    for (let i = 0; i < 8; i += 1) p.tick();
    // Lead-in silence (μ-law 0xff), 1, 2, concealed 3 (silence), 4, then the dry spell is concealed before the pause.
    expect(heard.slice(0, 5).map((b) => b[0])).toEqual([0xff, 1, 2, 0xff, 4]);
    expect(pauses()).toBe(1);
    expect(p.receiving).toBe(false);
  });
});
