import { describe, expect, it } from 'vitest';
import {
  decodePipecatFrame,
  encodePipecatFrame,
  type PipecatFrame,
  parseBotMessage,
  rtviClientReady,
  rtviDtmf,
} from '../../../src/protocols/pipecat/index.js';

/**
 * Wire vectors assembled by hand from the protobuf encoding rules (tag = field number << 3 | wire type; wire type 2
 * is length-delimited, 0 is varint) and Pipecat's field numbers: Frame {text=1, audio=2, transcription=3,
 * message=4, interruption=5}; AudioRawFrame {id=1, name=2, audio=3, sample_rate=4, num_channels=5, pts=6}.
 */
const VECTORS: Array<{ name: string; frame: PipecatFrame; hex: string }> = [
  {
    name: 'text "hi"',
    frame: { kind: 'text', text: 'hi' },
    // 0a: Frame.text, len 4 | 1a: TextFrame.text, len 2, "hi"
    hex: '0a04' + '1a026869',
  },
  {
    name: 'audio, 4 bytes of PCM, 16 kHz mono',
    frame: { kind: 'audio', audio: Buffer.from([1, 2, 3, 4]), sampleRate: 16000, numChannels: 1 },
    // 12: Frame.audio, len 11 | 1a: audio, len 4 | 20: sample_rate 16000 = varint 80 7d | 28: num_channels 1
    hex: '120b' + '1a0401020304' + '20807d' + '2801',
  },
  {
    name: 'audio, 24 kHz stereo',
    frame: { kind: 'audio', audio: Buffer.from([1, 2, 3, 4]), sampleRate: 24000, numChannels: 2 },
    // 24000 = 0b1_0111011_1000000 → varint c0 bb 01
    hex: '120c' + '1a0401020304' + '20c0bb01' + '2802',
  },
  {
    name: 'transcription',
    frame: { kind: 'transcription', text: 'yes', userId: 'u1', timestamp: 't' },
    // 1a: Frame.transcription, len 12 | 1a text "yes" | 22 user_id "u1" | 2a timestamp "t"
    hex: '1a0c' + '1a03796573' + '22027531' + '2a0174',
  },
  {
    name: 'message',
    frame: { kind: 'message', data: '{"a":1}' },
    // 22: Frame.message, len 9 | 0a: data, len 7
    hex: '2209' + '0a07' + Buffer.from('{"a":1}').toString('hex'),
  },
  {
    name: 'interruption',
    frame: { kind: 'interruption' },
    // 2a: Frame.interruption, len 0
    hex: '2a00',
  },
  {
    name: 'interruption with id and name',
    frame: { kind: 'interruption', id: '7', name: 'I#1' },
    // 08: id 7 | 12: name, len 3
    hex: '2a07' + '0807' + '1203492331',
  },
];

describe('Pipecat protobuf frames', () => {
  for (const v of VECTORS) {
    it(`encodes and decodes ${v.name} as the hand-assembled bytes`, () => {
      expect(encodePipecatFrame(v.frame).toString('hex')).toBe(v.hex);
      expect(decodePipecatFrame(Buffer.from(v.hex, 'hex'))).toEqual({ ok: true, frame: v.frame });
    });
  }

  it('reads uint64 ids beyond 2^53 and pts exactly, as decimal strings', () => {
    // AudioRawFrame {id = 2^63 (10-byte varint), pts = 300 (ac 02)}, no audio.
    const inner = '08' + '80808080808080808001' + '30ac02';
    const r = decodePipecatFrame(Buffer.from(`12${(inner.length / 2).toString(16).padStart(2, '0')}${inner}`, 'hex'));
    expect(r).toEqual({
      ok: true,
      frame: {
        kind: 'audio',
        audio: Buffer.alloc(0),
        sampleRate: 0,
        numChannels: 0,
        id: '9223372036854775808',
        pts: '300',
      },
    });
  });

  it('leaves fields at their default off the wire, as Pipecat does', () => {
    expect(encodePipecatFrame({ kind: 'text', text: '' }).toString('hex')).toBe('0a00');
    expect(
      encodePipecatFrame({ kind: 'audio', audio: Buffer.alloc(0), sampleRate: 0, numChannels: 0 }).toString('hex'),
    ).toBe('1200');
  });

  it('refuses garbage and unknown frame kinds without throwing; of two members the last wins', () => {
    expect(decodePipecatFrame(Buffer.from('ffffffff', 'hex'))).toMatchObject({
      ok: false,
      error: { code: 'malformed_frame' },
    });
    // A truncated length-delimited field.
    expect(decodePipecatFrame(Buffer.from('120b1a04', 'hex'))).toMatchObject({
      ok: false,
      error: { code: 'malformed_frame' },
    });
    // Field 6 (a frame kind this schema does not know) and the empty message.
    expect(decodePipecatFrame(Buffer.from('3200', 'hex'))).toMatchObject({
      ok: false,
      error: { code: 'unknown_frame' },
    });
    expect(decodePipecatFrame(Buffer.alloc(0))).toMatchObject({ ok: false, error: { code: 'unknown_frame' } });
    expect(decodePipecatFrame(Buffer.from('0a002a00', 'hex'))).toEqual({ ok: true, frame: { kind: 'interruption' } });
  });
});

describe('RTVI messages in message frames', () => {
  it('builds client-ready and dtmf as the RTVI client protocol spells them', () => {
    expect(rtviClientReady('1', { library: 'x' })).toEqual({
      label: 'rtvi-ai',
      type: 'client-ready',
      id: '1',
      data: { version: '2.1.0', about: { library: 'x' } },
    });
    expect(rtviDtmf('2', '#')).toEqual({ label: 'rtvi-ai', type: 'dtmf', id: '2', data: { buttons: ['#'] } });
    expect(rtviDtmf('3', 'A')).toEqual({
      label: 'rtvi-ai',
      type: 'client-message',
      id: '3',
      data: { t: 'dtmf', d: { digit: 'A' } },
    });
  });

  it('reads transcripts and errors, counts a bot-output segment once, and never throws', () => {
    const rtvi = (type: string, data: unknown) => JSON.stringify({ label: 'rtvi-ai', type, data });
    expect(
      parseBotMessage(rtvi('user-transcription', { text: 'hello', final: true, user_id: '', timestamp: '' })),
    ).toEqual({ ok: true, message: { kind: 'userTranscript', text: 'hello', final: true } });
    expect(
      parseBotMessage(rtvi('bot-output', { text: 'Hi.', spoken_status: 'new', aggregated_by: 'sentence' })),
    ).toEqual({ ok: true, message: { kind: 'botText', text: 'Hi.', source: 'bot-output' } });
    expect(parseBotMessage(rtvi('bot-output', { text: 'Hi.', spoken_status: 'completed' }))).toMatchObject({
      ok: true,
      message: { kind: 'rtvi', type: 'bot-output' },
    });
    expect(parseBotMessage(rtvi('error', { error: 'LLM down', fatal: true }))).toEqual({
      ok: true,
      message: { kind: 'error', message: 'LLM down', fatal: true },
    });
    expect(parseBotMessage('{"hello":1}')).toEqual({ ok: true, message: { kind: 'other', value: { hello: 1 } } });
    expect(parseBotMessage('{nope')).toMatchObject({ ok: false });
  });
});
