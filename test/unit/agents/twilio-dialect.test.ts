import { describe, expect, it } from 'vitest';
import {
  parseTwilioAgentMessage,
  parseTwilioStreamMessage,
  pcmToTwilioPayload,
  randomTwilioSid,
  TwilioStreamEncoder,
  twilioPayloadToPcm,
  twilioPayloadToUlaw,
  twilioSidFrom,
  ulawToTwilioPayload,
} from '../../../src/protocols/twilio/index.js';

const STREAM = 'MZ18ad3ab5a668481ce02b83e7395059f0';
const CALL = 'CA4a1ec8ee2f35d1d2a1d42b9fd3d2bc3a';
const ACCOUNT = 'ACd0b2d56e4a5a46a0e8a7a39b61a2a4ef';

function encoder(): TwilioStreamEncoder {
  return new TwilioStreamEncoder({
    streamSid: STREAM,
    callSid: CALL,
    accountSid: ACCOUNT,
    customParameters: { FirstName: 'Jane' },
  });
}

/** A 20 ms, 8 kHz test signal: a 1 kHz sine at about -6 dBFS. */
function sineFrame(offset = 0): Int16Array {
  return Int16Array.from({ length: 160 }, (_, i) => Math.round(16000 * Math.sin((2 * Math.PI * (offset + i)) / 8)));
}

describe('TwilioStreamEncoder', () => {
  it('numbers messages, chunks and media timestamps as Twilio does', () => {
    const e = encoder();
    expect(e.connected()).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(e.start()).toEqual({
      event: 'start',
      sequenceNumber: '1',
      streamSid: STREAM,
      start: {
        accountSid: ACCOUNT,
        streamSid: STREAM,
        callSid: CALL,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: { FirstName: 'Jane' },
      },
    });
    const frame = Buffer.alloc(160, 0xff);
    const media = [e.media(frame), e.media(frame), e.media(frame)];
    expect(media.map((m) => [m.sequenceNumber, m.media.chunk, m.media.timestamp])).toEqual([
      ['2', '1', '0'],
      ['3', '2', '20'],
      ['4', '3', '40'],
    ]);
    expect(media[0]?.media.track).toBe('inbound');
    e.skip(160); // one muted frame still advances the media clock
    expect(e.media(frame).media).toMatchObject({ chunk: '4', timestamp: '80' });
    expect(e.dtmf('5')).toEqual({
      event: 'dtmf',
      sequenceNumber: '6',
      streamSid: STREAM,
      dtmf: { track: 'inbound_track', digit: '5' },
    });
    expect(e.mark('resp_42_chunk_7')).toEqual({
      event: 'mark',
      sequenceNumber: '7',
      streamSid: STREAM,
      mark: { name: 'resp_42_chunk_7' },
    });
    expect(e.stop()).toEqual({
      event: 'stop',
      sequenceNumber: '8',
      streamSid: STREAM,
      stop: { accountSid: ACCOUNT, callSid: CALL },
    });
    expect(e.mediaMs).toBe(100);
  });

  it('refuses messages out of order', () => {
    const e = encoder();
    expect(() => e.start()).toThrow(/not allowed/);
    e.connected();
    expect(() => e.media(Buffer.alloc(160))).toThrow(/not allowed/);
    e.start();
    expect(() => e.start()).toThrow(/not allowed/);
    e.stop();
    expect(() => e.media(Buffer.alloc(160))).toThrow(/not allowed/);
    expect(() => e.mark('m')).toThrow(/not allowed/);
    expect(e.state).toBe('stopped');
  });

  it('produces messages its own parser accepts unchanged', () => {
    const e = encoder();
    const all = [e.connected(), e.start(), e.media(Buffer.alloc(160, 1)), e.dtmf('#'), e.mark('m1'), e.stop()];
    for (const message of all) {
      expect(parseTwilioStreamMessage(JSON.stringify(message))).toEqual({ ok: true, message });
    }
  });
});

describe('Twilio payload codec', () => {
  it('carries 20 ms of μ-law as 160 bytes of base64 and round trips the bytes exactly', () => {
    const ulaw = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
    const payload = ulawToTwilioPayload(ulaw);
    expect(payload).toHaveLength(216);
    expect(twilioPayloadToUlaw(payload)).toEqual(Buffer.from(ulaw));
  });

  it('round trips PCM16 8 kHz frames within μ-law quantisation', () => {
    for (let f = 0; f < 5; f += 1) {
      const pcm = sineFrame(f * 160);
      const back = twilioPayloadToPcm(pcmToTwilioPayload(pcm));
      expect(back).toHaveLength(160);
      for (let i = 0; i < pcm.length; i += 1) {
        const original = pcm[i]!;
        // μ-law steps grow with amplitude: the error stays within about 1/32 of the value, plus a small floor.
        expect(Math.abs(back[i]! - original)).toBeLessThanOrEqual(Math.abs(original) / 32 + 16);
      }
      // Decoded audio re-encodes to the same codes.
      expect(pcmToTwilioPayload(back)).toBe(pcmToTwilioPayload(pcm));
    }
  });

  it('decodes silence to near-zero samples', () => {
    const silence = pcmToTwilioPayload(new Int16Array(160));
    expect(Buffer.from(silence, 'base64').every((b) => b === 0xff)).toBe(true);
    expect(Math.max(...twilioPayloadToPcm(silence).map(Math.abs))).toBeLessThanOrEqual(8);
  });
});

describe('Twilio message parsing', () => {
  // The examples of PROTOCOLS.md B4, with real-looking SIDs and payloads.
  const fromTwilio = [
    '{"event":"connected","protocol":"Call","version":"1.0.0"}',
    `{"event":"start","sequenceNumber":"1","streamSid":"${STREAM}","start":{"accountSid":"${ACCOUNT}","streamSid":"${STREAM}","callSid":"${CALL}","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"FirstName":"Jane"}}}`,
    `{"event":"media","sequenceNumber":"3","streamSid":"${STREAM}","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"${Buffer.alloc(160, 0xff).toString('base64')}"}}`,
    `{"event":"dtmf","sequenceNumber":"5","streamSid":"${STREAM}","dtmf":{"track":"inbound_track","digit":"1"}}`,
    `{"event":"mark","sequenceNumber":"4","streamSid":"${STREAM}","mark":{"name":"resp_42_chunk_7"}}`,
    `{"event":"stop","sequenceNumber":"6","streamSid":"${STREAM}","stop":{"accountSid":"${ACCOUNT}","callSid":"${CALL}"}}`,
  ];

  it.each(fromTwilio.map((t) => [JSON.parse(t).event as string, t]))('parses Twilio %s', (_name, text) => {
    const result = parseTwilioStreamMessage(text);
    expect(result).toEqual({ ok: true, message: JSON.parse(text) });
  });

  it('parses what agents send: media, mark, clear', () => {
    const texts = [
      `{"event":"media","streamSid":"${STREAM}","media":{"payload":"${Buffer.alloc(160, 0x7f).toString('base64')}"}}`,
      `{"event":"mark","streamSid":"${STREAM}","mark":{"name":"resp_42_chunk_7"}}`,
      `{"event":"clear","streamSid":"${STREAM}"}`,
    ];
    for (const text of texts) expect(parseTwilioAgentMessage(text)).toEqual({ ok: true, message: JSON.parse(text) });
  });

  it('tolerates extra fields and drops them', () => {
    const text = `{"event":"clear","streamSid":"${STREAM}","extra":1}`;
    expect(parseTwilioAgentMessage(text)).toEqual({ ok: true, message: { event: 'clear', streamSid: STREAM } });
    const media = `{"event":"media","streamSid":"${STREAM}","media":{"payload":"AAAA","track":"outbound"}}`;
    expect(parseTwilioAgentMessage(media)).toEqual({
      ok: true,
      message: { event: 'media', streamSid: STREAM, media: { payload: 'AAAA' } },
    });
  });

  it.each([
    ['{"event":', 'malformed_json'],
    ['[1,2]', 'malformed_json'],
    ['{"streamSid":"x"}', 'unknown_event'],
    [`{"event":"start","streamSid":"${STREAM}"}`, 'unknown_event'],
    [`{"event":"media","streamSid":"${STREAM}"}`, 'invalid_message'],
    [`{"event":"media","streamSid":"${STREAM}","media":{"payload":"not base64!"}}`, 'invalid_message'],
    ['{"event":"clear","streamSid":"MZ123"}', 'invalid_message'],
    [`{"event":"mark","streamSid":"${STREAM}","mark":{}}`, 'invalid_message'],
    [`{"event":"mark","streamSid":"${STREAM}","mark":{"name":""}}`, 'invalid_message'],
  ] as const)('agent frame %s → %s', (text, code) => {
    const result = parseTwilioAgentMessage(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(code);
  });

  it('rejects malformed stream messages with a typed error naming the field', () => {
    const numeric = `{"event":"mark","sequenceNumber":4,"streamSid":"${STREAM}","mark":{"name":"a"}}`;
    const result = parseTwilioStreamMessage(numeric);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_message', event: 'mark' } });
    if (!result.ok) expect(result.error.message).toContain('sequenceNumber');
    const ulaw16k = fromTwilio[1]!.replace('"sampleRate":8000', '"sampleRate":16000');
    expect(parseTwilioStreamMessage(ulaw16k)).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });
});

describe('Twilio SIDs', () => {
  it('makes random and derived SIDs of the right shape', () => {
    expect(randomTwilioSid('MZ')).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(randomTwilioSid('MZ')).not.toBe(randomTwilioSid('MZ'));
    expect(twilioSidFrom('CA', '3F2B6C1E-9D4A-4C1B-8E2F-0A1B2C3D4E5F')).toBe('CA3f2b6c1e9d4a4c1b8e2f0a1b2c3d4e5f');
    const hashed = twilioSidFrom('AC', 'my-tenant');
    expect(hashed).toMatch(/^AC[0-9a-f]{32}$/);
    expect(twilioSidFrom('AC', 'my-tenant')).toBe(hashed);
  });
});
