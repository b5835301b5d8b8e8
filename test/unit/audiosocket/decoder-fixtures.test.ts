import { describe, expect, it } from 'vitest';
import { AudioSocketDecoder } from '../../../src/protocols/audiosocket/decoder.js';
import { formatKind } from '../../../src/protocols/audiosocket/kinds.js';
import type { AudioSocketMessage } from '../../../src/protocols/audiosocket/messages.js';
import {
  AUDIOSOCKET_SCENARIOS,
  loadFrames,
  loadStream,
  loadSummary,
} from '../../fixtures/asterisk-22.10/audiosocket-fixtures.js';

function kindOf(m: AudioSocketMessage): string {
  switch (m.type) {
    case 'uuid':
      return '0x01';
    case 'dtmf':
      return '0x03';
    case 'audio':
      return formatKind(m.kind);
    case 'error':
      return '0xff';
    case 'hangup':
      return '0x00';
  }
}

function decodeAll(stream: Buffer, chunkSize = stream.length): AudioSocketMessage[] {
  const decoder = new AudioSocketDecoder({ maxFrameBytes: 8192 });
  const out: AudioSocketMessage[] = [];
  for (let i = 0; i < stream.length; i += chunkSize) decoder.push(stream.subarray(i, i + chunkSize), out);
  expect(decoder.bufferedBytes).toBe(0);
  return out;
}

describe('AudioSocketDecoder on recorded Asterisk 22.10 streams', () => {
  for (const scenario of AUDIOSOCKET_SCENARIOS) {
    it(`${scenario}: every frame decodes; counts, kinds and sizes match summary.json`, () => {
      const stream = loadStream(scenario);
      const summary = loadSummary(scenario);
      expect(stream.length).toBe(summary.total_bytes_received);
      const messages = decodeAll(stream);
      expect(messages).toHaveLength(summary.frame_count);

      const byKind = new Map<string, { count: number; sizes: Record<string, number> }>();
      for (const m of messages) {
        const k = kindOf(m);
        const entry = byKind.get(k) ?? { count: 0, sizes: {} };
        entry.count += 1;
        const size = m.type === 'audio' ? m.payload.length : m.type === 'uuid' ? 16 : m.type === 'hangup' ? 0 : 1;
        entry.sizes[String(size)] = (entry.sizes[String(size)] ?? 0) + 1;
        byKind.set(k, entry);
      }
      const expected = Object.entries(summary.frames_by_kind).map(([name, v]) => [name.slice(0, 4), v] as const);
      expect([...byKind.keys()].sort()).toEqual(expected.map(([k]) => k).sort());
      for (const [k, v] of expected) {
        expect(byKind.get(k)?.count, k).toBe(v.count);
        expect(byKind.get(k)?.sizes, k).toEqual(v.payload_sizes);
      }

      // The first message is the UUID the summary recorded; Asterisk never sent 0x00.
      const first = messages[0];
      const uuidFrame = summary.non_audio_frames.find((f) => f.kind === '0x01');
      expect(first).toEqual({ type: 'uuid', uuid: uuidFrame?.uuid });
      expect(messages.some((m) => m.type === 'hangup')).toBe(summary.hangup_frame_0x00_received);
    });
  }

  it('decodes the same messages when the stream arrives one byte, 7 bytes or 1000 bytes at a time', () => {
    const stream = loadStream('03-dtmf');
    const whole = decodeAll(stream);
    for (const size of [1, 7, 1000]) expect(decodeAll(stream, size)).toEqual(whole);
  });

  it('01 (format=slin): audio frames are kind 0x10 at 8 kHz with 320-byte payloads identical to the stream', () => {
    const stream = loadStream('01-inbound-audiosocket-slin');
    const frames = loadFrames('01-inbound-audiosocket-slin');
    const messages = decodeAll(stream);
    messages.forEach((m, i) => {
      const rec = frames[i]!;
      expect(kindOf(m)).toBe(rec.kind);
      if (m.type === 'audio') {
        expect(m.sampleRate).toBe(8000);
        expect(m.payload.equals(stream.subarray(rec.off + 3, rec.off + 3 + rec.len))).toBe(true);
      }
    });
  });

  it('02 (format=slin16): audio frames are kind 0x12 (not 0x11) at 16 kHz', () => {
    const audio = decodeAll(loadStream('02-inbound-audiosocket-slin16')).filter((m) => m.type === 'audio');
    expect(audio).toHaveLength(147);
    for (const m of audio) expect([m.kind, m.sampleRate, m.payload.length]).toEqual([0x12, 16000, 640]);
  });

  it('02b (format=ulaw): the 160-byte mu-law frames arrive labelled 0x10', () => {
    const audio = decodeAll(loadStream('02b-inbound-audiosocket-ulaw')).filter((m) => m.type === 'audio');
    expect(audio).toHaveLength(73);
    for (const m of audio) expect([m.kind, m.sampleRate, m.payload.length]).toEqual([0x10, 8000, 160]);
  });

  it('03: the DTMF frames yield the digits 1, 5, # in order, at the recorded positions', () => {
    const messages = decodeAll(loadStream('03-dtmf'));
    const dtmf = messages.flatMap((m, i) => (m.type === 'dtmf' ? [{ i, digit: m.digit }] : []));
    expect(dtmf).toEqual([
      { i: 48, digit: '1' },
      { i: 69, digit: '5' },
      { i: 90, digit: '#' },
    ]);
    const records = loadFrames('03-dtmf').filter((r) => r.kind === '0x03');
    expect(records.map((r) => [r.i, r.payload_ascii])).toEqual(dtmf.map((d) => [d.i, d.digit]));
  });
});
