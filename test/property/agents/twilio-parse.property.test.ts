import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseTwilioAgentMessage,
  parseTwilioStreamMessage,
  pcmToTwilioPayload,
  twilioPayloadToPcm,
} from '../../../src/protocols/twilio/index.js';

const CODES = ['malformed_json', 'unknown_event', 'invalid_message'];
const STREAM = 'MZ18ad3ab5a668481ce02b83e7395059f0';

const twilioLike = fc
  .record({
    event: fc.oneof(fc.constantFrom('connected', 'start', 'media', 'dtmf', 'mark', 'stop', 'clear'), fc.anything()),
    streamSid: fc.oneof(fc.constant(STREAM), fc.anything()),
    media: fc.oneof(fc.record({ payload: fc.oneof(fc.base64String(), fc.anything()) }), fc.anything()),
    mark: fc.oneof(fc.record({ name: fc.string() }), fc.anything()),
  })
  .map((o) => JSON.stringify(o));

describe('Twilio dialect parsing properties', () => {
  it('never throws, and fails only with typed codes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json(), twilioLike), (text) => {
        for (const result of [parseTwilioAgentMessage(text), parseTwilioStreamMessage(text)]) {
          if (!result.ok) expect(CODES).toContain(result.error.code);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('re-encoding decoded μ-law payloads is exact for any frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 480 }), (ulaw) => {
        const payload = Buffer.from(ulaw).toString('base64');
        const pcm = twilioPayloadToPcm(payload);
        expect(pcm.length).toBe(ulaw.length);
        // μ-law has two codes for zero (0x7f and 0xff); every other code survives decode → encode unchanged.
        const again = Buffer.from(pcmToTwilioPayload(pcm), 'base64');
        ulaw.forEach((code, i) => {
          if (code !== 0x7f) expect(again[i]).toBe(code);
        });
      }),
      { numRuns: 300 },
    );
  });
});
