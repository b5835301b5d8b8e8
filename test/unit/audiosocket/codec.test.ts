import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors/protocol-error.js';
import { AudioSocketDecoder } from '../../../src/protocols/audiosocket/decoder.js';
import { encodeAudioFrame, encodeHangup, encodeOutbound } from '../../../src/protocols/audiosocket/encoder.js';
import { AUDIOSOCKET_ERROR } from '../../../src/protocols/audiosocket/errors.js';
import { encodeInboundMessage } from '../../../src/protocols/audiosocket/inbound-encoder.js';
import {
  AUDIO_KINDS,
  type AudioKind,
  audioFormatOfKind,
  audioKindForSampleRate,
  audioKindFrameBytes,
} from '../../../src/protocols/audiosocket/kinds.js';
import type { AudioSocketOutboundMessage } from '../../../src/protocols/audiosocket/messages.js';
import { normalizeUuid, uuidFromBytes, uuidToBytes } from '../../../src/protocols/audiosocket/uuid.js';

const UUID = '325d3c93-534b-4733-a05b-94d368bcfcaf';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return undefined;
}

function decodeOne(bytes: number[] | Buffer, maxFrameBytes = 8192) {
  return new AudioSocketDecoder({ maxFrameBytes }).push(Buffer.from(bytes));
}

describe('AudioSocket kinds', () => {
  it('maps 0x12 to slin16 and 0x11 to slin12, with the 20 ms payload sizes of PROTOCOLS B1', () => {
    expect(audioFormatOfKind(0x12)).toEqual({ encoding: 'pcm16', sampleRate: 16000 });
    expect(audioFormatOfKind(0x11)).toEqual({ encoding: 'pcm16', sampleRate: 12000 });
    expect(audioKindForSampleRate(16000)).toBe(0x12);
    expect(audioKindForSampleRate(11025)).toBeUndefined();
    expect(AUDIO_KINDS.map(audioKindFrameBytes)).toEqual([320, 480, 640, 960, 1280, 1764, 1920, 3840, 7680]);
  });
});

describe('UUID bytes and strings', () => {
  it('round-trips the recorded UUID frame payload as a lowercase canonical string', () => {
    const bytes = Buffer.from('325d3c93534b4733a05b94d368bcfcaf', 'hex');
    expect(uuidFromBytes(bytes)).toBe(UUID);
    expect(uuidToBytes(UUID.toUpperCase()).equals(bytes)).toBe(true);
    expect(normalizeUuid(UUID.toUpperCase())).toBe(UUID);
  });

  it('refuses strings that are not UUIDs and byte arrays that are not 16 long', () => {
    expect(codeOf(() => uuidToBytes('not-a-uuid'))).toBe(AUDIOSOCKET_ERROR.invalidUuid);
    expect(codeOf(() => uuidToBytes(`${UUID}0`))).toBe(AUDIOSOCKET_ERROR.invalidUuid);
    expect(codeOf(() => uuidFromBytes(Buffer.alloc(15)))).toBe(AUDIOSOCKET_ERROR.badLength);
  });
});

describe('encoder towards Asterisk', () => {
  it('builds the recorded layouts: 00 00 00, 10 01 40 <320 B>, 12 02 80 <640 B>', () => {
    expect(encodeHangup().toString('hex')).toBe('000000');
    expect(encodeOutbound({ type: 'hangup' }).toString('hex')).toBe('000000');
    const slin = encodeAudioFrame(0x10, Buffer.alloc(320, 7));
    expect(slin.subarray(0, 3).toString('hex')).toBe('100140');
    expect(slin.length).toBe(323);
    expect(slin.subarray(3).equals(Buffer.alloc(320, 7))).toBe(true);
    const slin16 = encodeOutbound({ type: 'audio', kind: 0x12, payload: Buffer.alloc(640, 1) });
    expect(slin16.subarray(0, 3).toString('hex')).toBe('120280');
  });

  it('refuses empty audio, odd byte counts, oversize payloads and non-audio kinds', () => {
    expect(codeOf(() => encodeAudioFrame(0x10, Buffer.alloc(0)))).toBe(AUDIOSOCKET_ERROR.emptyAudio);
    expect(codeOf(() => encodeAudioFrame(0x10, Buffer.alloc(321)))).toBe(AUDIOSOCKET_ERROR.oddAudioLength);
    expect(codeOf(() => encodeAudioFrame(0x18, Buffer.alloc(65536)))).toBe(AUDIOSOCKET_ERROR.frameTooLarge);
    // Only reachable by casting around the types: DTMF, UUID and error kinds have no outbound representation.
    expect(codeOf(() => encodeAudioFrame(0x03 as AudioKind, Buffer.alloc(2)))).toBe(AUDIOSOCKET_ERROR.notOutbound);
    expect(codeOf(() => encodeAudioFrame(0x01 as AudioKind, Buffer.alloc(16)))).toBe(AUDIOSOCKET_ERROR.notOutbound);
    expect(() => encodeOutbound({ type: 'dtmf', digit: '9' } as unknown as AudioSocketOutboundMessage)).toThrow();
  });

  it('makes DTMF and UUID messages unrepresentable in the outbound type', () => {
    // @ts-expect-error DTMF towards Asterisk must not type-check.
    const dtmf: AudioSocketOutboundMessage = { type: 'dtmf', digit: '9' };
    // @ts-expect-error UUID towards Asterisk must not type-check.
    const uuid: AudioSocketOutboundMessage = { type: 'uuid', uuid: UUID };
    // @ts-expect-error 0x03 is not an audio kind.
    const badKind: AudioSocketOutboundMessage = { type: 'audio', kind: 0x03, payload: Buffer.alloc(2) };
    expect([dtmf, uuid, badKind]).toHaveLength(3);
  });
});

describe('AudioSocketDecoder', () => {
  it('decodes every message kind, ten frames in one chunk', () => {
    const messages = [
      { type: 'uuid', uuid: UUID },
      { type: 'dtmf', digit: '#' },
      { type: 'audio', kind: 0x10, sampleRate: 8000, payload: Buffer.alloc(320, 1) },
      { type: 'audio', kind: 0x12, sampleRate: 16000, payload: Buffer.alloc(640, 2) },
      { type: 'audio', kind: 0x18, sampleRate: 192000, payload: Buffer.alloc(7680, 3) },
      { type: 'error', code: 1 },
      { type: 'hangup' },
    ] as const;
    const stream = Buffer.concat([...messages, ...messages.slice(0, 3)].map((m) => encodeInboundMessage(m)));
    const out = decodeOne(stream);
    expect(out).toEqual([...messages, ...messages.slice(0, 3)]);
  });

  it('reads lowercase a-d DTMF bytes as A-D', () => {
    expect(decodeOne([0x03, 0, 1, 0x62])).toEqual([{ type: 'dtmf', digit: 'B' }]);
  });

  it('waits for the rest of a frame split inside its header, and buffers no more than one frame', () => {
    const frame = encodeAudioFrame(0x10, Buffer.alloc(320, 9));
    const d = new AudioSocketDecoder({ maxFrameBytes: 8192 });
    expect(d.push(frame.subarray(0, 1))).toEqual([]);
    expect(d.push(frame.subarray(1, 2))).toEqual([]);
    expect(d.push(frame.subarray(2, 100))).toEqual([]);
    expect(d.bufferedBytes).toBe(100);
    const out = d.push(Buffer.concat([frame.subarray(100), frame.subarray(0, 5)]));
    expect(out).toHaveLength(1);
    expect(d.bufferedBytes).toBe(5);
    expect(d.bytesConsumed).toBe(328);
  });

  it.each([
    ['unknown kind', [0x02, 0, 1, 0], AUDIOSOCKET_ERROR.unknownKind],
    ['unknown kind 0x19', [0x19, 0, 2, 0, 0], AUDIOSOCKET_ERROR.unknownKind],
    ['zero-length audio', [0x10, 0, 0], AUDIOSOCKET_ERROR.emptyAudio],
    ['UUID of 15 bytes', [0x01, 0, 15, ...new Array(15).fill(1)], AUDIOSOCKET_ERROR.badLength],
    ['nil UUID', [0x01, 0, 16, ...new Array(16).fill(0)], AUDIOSOCKET_ERROR.invalidUuid],
    ['DTMF of 2 bytes', [0x03, 0, 2, 0x31, 0x32], AUDIOSOCKET_ERROR.badLength],
    ['DTMF byte that is not a digit', [0x03, 0, 1, 0x5a], AUDIOSOCKET_ERROR.invalidDtmf],
    ['hangup with a payload', [0x00, 0, 1, 0], AUDIOSOCKET_ERROR.badLength],
    ['error frame without its code', [0xff, 0, 0], AUDIOSOCKET_ERROR.badLength],
  ])('rejects %s with a ProtocolError', (_name, bytes, code) => {
    expect(codeOf(() => decodeOne(bytes))).toBe(code);
  });

  it('rejects an oversize frame as soon as its header arrives, before buffering its payload', () => {
    const d = new AudioSocketDecoder({ maxFrameBytes: 1000 });
    expect(codeOf(() => d.push(Buffer.from([0x10, 0x03, 0xe9])))).toBe(AUDIOSOCKET_ERROR.frameTooLarge);
    expect(d.bufferedBytes).toBe(0);
    // Stays failed: the connection has to go.
    expect(codeOf(() => d.push(encodeAudioFrame(0x10, Buffer.alloc(320))))).toBe(AUDIOSOCKET_ERROR.frameTooLarge);
    expect(codeOf(() => decodeOne([0x10, 0x03, 0xe8, ...new Array(1000).fill(0)], 1000))).toBeUndefined();
  });

  it('keeps the messages that preceded a bad frame in the caller-supplied array', () => {
    const out: unknown[] = [];
    const d = new AudioSocketDecoder();
    const stream = Buffer.concat([
      encodeInboundMessage({ type: 'uuid', uuid: UUID }),
      encodeAudioFrame(0x10, Buffer.alloc(320)),
      Buffer.from('GET / HTTP/1.1\r\n'),
    ]);
    expect(() => d.push(stream, out as never)).toThrow(ProtocolError);
    expect(out).toHaveLength(2);
    expect(d.error?.details).toMatchObject({ kind: '0x47', offset: 342 });
  });
});
