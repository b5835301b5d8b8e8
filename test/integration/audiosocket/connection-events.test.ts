import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AudioSocketDecoder } from '../../../src/protocols/audiosocket/decoder.js';
import type { DtmfDigit } from '../../../src/protocols/audiosocket/dtmf.js';
import { encodeInboundMessage } from '../../../src/protocols/audiosocket/inbound-encoder.js';
import type { AudioSocketMessage } from '../../../src/protocols/audiosocket/messages.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../../src/simulator/audiosocket-dialer.js';
import type { FormatChange } from '../../../src/transports/audiosocket/audiosocket-connection.js';
import { type Harness, startHarness } from './harness.js';
import { waitFor } from '../../support/wait.js';

describe('AudioSocket connection events and output', () => {
  let harness: Harness | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(calls.splice(0).map((c) => c.hangup()));
    await harness?.close();
    harness = undefined;
  });

  it('reports a mid-call format change 0x10 → 0x12, and the outbound kind follows the inbound one', async () => {
    const changes: FormatChange[] = [];
    const formats: number[] = [];
    const h = await startHarness({
      onConnection: (conn) => {
        conn.on('formatChange', (c) => changes.push(c));
        // Direct echo: each inbound frame goes straight back with the current outbound kind.
        conn.on('audio', (a) => {
          formats.push(a.format.sampleRate);
          conn.sendAudio(a.payload);
        });
      },
    });
    harness = h;
    const call = await dialAudioSocket({ host: h.host, port: h.port, uuid: h.register(), kind: 0x10 });
    calls.push(call);
    await waitFor(() => call.received.length >= 5, 20_000, 'slin echo');
    call.setKind(0x12);
    await waitFor(() => call.received.filter((f) => f.kind === 0x12).length >= 5, 20_000, 'slin16 echo');

    expect(changes).toHaveLength(1);
    expect(changes[0]).toEqual({
      previous: { encoding: 'pcm16', sampleRate: 8000 },
      previousKind: 0x10,
      format: { encoding: 'pcm16', sampleRate: 16000 },
      kind: 0x12,
    });
    const conn = h.connections.get(call.uuid)!;
    expect(conn.inboundKind).toBe(0x12);
    expect(conn.outboundKind).toBe(0x12);
    const kinds = call.received.map((f) => f.kind);
    const firstSlin16 = kinds.indexOf(0x12);
    expect(kinds.slice(0, firstSlin16).every((k) => k === 0x10)).toBe(true);
    expect(kinds.slice(firstSlin16).every((k) => k === 0x12)).toBe(true);
    for (const f of call.received) expect(f.length).toBe(f.kind === 0x12 ? 640 : 320);
    expect(formats.indexOf(16000)).toBeGreaterThan(0);
  });

  it('a pinned outbound kind stays put when the inbound kind differs', async () => {
    const h = await startHarness({
      onConnection: (conn) => {
        conn.setOutboundKind(0x12);
        conn.on('audio', () => conn.sendAudio(Buffer.alloc(640, 1)));
      },
    });
    harness = h;
    const call = await dialAudioSocket({ host: h.host, port: h.port, uuid: h.register(), kind: 0x10 });
    calls.push(call);
    await waitFor(() => call.received.length >= 3, 20_000, 'frames');
    expect(new Set(call.received.map((f) => f.kind))).toEqual(new Set([0x12]));
  });

  it('delivers DTMF digits sent as Asterisk 22 sends them (0x03, one ASCII byte, audio paused during the digit)', async () => {
    const digits: DtmfDigit[] = [];
    const h = await startHarness({ onConnection: (conn) => conn.on('dtmf', (d) => digits.push(d)) });
    harness = h;
    const call = await dialAudioSocket({ host: h.host, port: h.port, uuid: h.register() });
    calls.push(call);
    await call.sendDtmf('1', { durationMs: 160 });
    await call.sendDtmf('5');
    await call.sendDtmf('#', { durationMs: 240 });
    await waitFor(() => digits.length === 3, 20_000, 'three digits');
    expect(digits).toEqual(['1', '5', '#']);
    expect(h.connections.get(call.uuid)?.stats.dtmfIn).toBe(3);
  });

  it('drops (and counts) frames instead of queueing without bound when the peer stops reading, and recovers', async () => {
    const MAX_PENDING = 16_384;
    const h = await startHarness({ maxPendingWriteBytes: MAX_PENDING, onConnection: () => {} });
    harness = h;
    const uuid = h.register();
    const s = connect({ host: h.host, port: h.port });
    sockets.push(s);
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    s.write(encodeInboundMessage({ type: 'uuid', uuid }));
    s.pause(); // a peer that reads nothing: the kernel buffers fill, then the socket's own buffer
    await waitFor(() => h.connections.has(uuid), 20_000, 'admission');
    const conn = h.connections.get(uuid)!;
    const frame = Buffer.alloc(320, 3);
    let written = 0;
    let dropped = 0;
    // Loopback kernel buffers hold megabytes; write until the connection starts dropping.
    for (let i = 0; i < 200_000 && dropped < 100; i++) {
      if (conn.sendAudio(frame)) written += 1;
      else dropped += 1;
      expect(conn.pendingWriteBytes).toBeLessThanOrEqual(MAX_PENDING + 323);
    }
    expect(dropped).toBe(100);
    expect(conn.stats.framesDropped).toBe(100);
    expect(h.server.counters.framesDropped).toBe(100);
    expect(
      h.lines.some((l) => l.uuid === uuid && l.msg === 'AudioSocket output is not draining: dropping audio frames'),
    ).toBe(true);

    // The peer reads again: every frame that was accepted arrives whole and in order, and writing resumes.
    const decoder = new AudioSocketDecoder();
    const got: AudioSocketMessage[] = [];
    s.on('data', (chunk: Buffer) => decoder.push(chunk, got));
    s.resume();
    await waitFor(() => got.length >= written, 60_000, 'the accepted frames to arrive');
    expect(got.every((m) => m.type === 'audio' && m.kind === 0x10 && m.payload.equals(frame))).toBe(true);
    await waitFor(() => conn.sendAudio(frame), 20_000, 'writing to resume');
    expect(h.lines.some((l) => l.uuid === uuid && l.msg === 'AudioSocket output draining again')).toBe(true);
  });

  it('refuses to send empty or odd-length audio (never valid towards Asterisk)', async () => {
    const h = await startHarness({ onConnection: () => {} });
    harness = h;
    const call = await dialAudioSocket({ host: h.host, port: h.port, uuid: h.register() });
    calls.push(call);
    await waitFor(() => h.connections.has(call.uuid), 20_000, 'admission');
    const conn = h.connections.get(call.uuid)!;
    expect(() => conn.sendAudio(Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'AUDIOSOCKET_EMPTY_AUDIO' }));
    expect(() => conn.sendAudio(Buffer.alloc(321))).toThrow(
      expect.objectContaining({ code: 'AUDIOSOCKET_ODD_AUDIO_LENGTH' }),
    );
    expect(conn.sendAudio(Buffer.alloc(320))).toBe(true);
    await waitFor(() => call.received.length === 1, 20_000, 'the one valid frame');
    expect(call.protocolViolations).toEqual([]);
  });
});
