import { describe, expect, it } from 'vitest';
import { PCM8K, PCM16K, pcmBuffer, pcmSamples } from '../../../src/audio/format.js';
import { estimateFrequency, generateTone, rmsDbfs } from '../../../src/audio/tone-analysis.js';
import { OpusFrameCodec } from '../../../src/transports/webrtc/opus-frame-codec.js';
import { RTP_CODEC_SPECS } from '../../../src/transports/webrtc/rtp-codec-spec.js';

describe('OpusFrameCodec', () => {
  for (const format of [PCM8K, PCM16K]) {
    const rate = format.sampleRate;
    it(`encodes and decodes 20 ms frames at ${rate / 1000} kHz directly, keeping a tone's frequency and level`, () => {
      const enc = new OpusFrameCodec(RTP_CODEC_SPECS.opus, format);
      const dec = new OpusFrameCodec(RTP_CODEC_SPECS.opus, format);
      expect(enc.timestampStep).toBe(960);
      const tone = generateTone({ rate, freq: 440, amplitude: 8000, ms: 1000 });
      const out: Buffer[] = [];
      for (let i = 0; i < 50; i += 1) {
        const frame = pcmBuffer(tone.subarray((i * rate) / 50, ((i + 1) * rate) / 50));
        const packet = enc.encode(Buffer.from(frame));
        expect(packet.length).toBeLessThan(200);
        out.push(dec.decode(packet));
      }
      const heard = pcmSamples(Buffer.concat(out)).subarray(rate / 5);
      expect(heard.length).toBe((rate * 4) / 5);
      expect(estimateFrequency(heard, rate)).toBeCloseTo(440, 0);
      expect(Math.abs(rmsDbfs(heard) - rmsDbfs(tone))).toBeLessThan(1);
    });
  }

  it('conceals a lost packet with libopus PLC (the tone goes on), and silence before any packet', () => {
    const enc = new OpusFrameCodec(RTP_CODEC_SPECS.opus, PCM16K);
    const dec = new OpusFrameCodec(RTP_CODEC_SPECS.opus, PCM16K);
    expect(dec.conceal().every((b) => b === 0)).toBe(true);
    const tone = generateTone({ rate: 16000, freq: 500, amplitude: 8000, ms: 400 });
    for (let i = 0; i < 19; i += 1)
      dec.decode(enc.encode(Buffer.from(pcmBuffer(tone.subarray(i * 320, (i + 1) * 320)))));
    const concealed = pcmSamples(dec.conceal());
    expect(concealed.length).toBe(320);
    expect(rmsDbfs(concealed)).toBeGreaterThan(rmsDbfs(tone) - 6);
    expect(dec.decode(Buffer.from([0xff, 0xff, 0xff])).length).toBe(640);
  });
});
