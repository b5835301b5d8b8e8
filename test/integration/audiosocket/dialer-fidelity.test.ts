import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AudioSocketDecoder } from '../../../src/protocols/audiosocket/decoder.js';
import type { AudioSocketMessage } from '../../../src/protocols/audiosocket/messages.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../../src/simulator/audiosocket-dialer.js';
import {
  type AudioSocketScenario,
  loadStream,
  loadSummary,
} from '../../fixtures/asterisk-22.10/audiosocket-fixtures.js';

/** Deterministic time for the dialer's clock: timers run when `advance` passes their due time. */
class VirtualTime {
  t = 0;
  #timers: { at: number; fn: () => void }[] = [];
  readonly now = (): number => this.t;
  readonly setTimer = (fn: () => void, ms: number): unknown => {
    const timer = { at: this.t + ms, fn };
    this.#timers.push(timer);
    return timer;
  };
  readonly clearTimer = (handle: unknown): void => {
    this.#timers = this.#timers.filter((t) => t !== handle);
  };

  /** Runs timers in due order until `done()`, firing each `lateness()` ms after it was due; yields to I/O between. */
  async runUntil(done: () => boolean, lateness: () => number = () => 0, maxSteps = 100_000): Promise<void> {
    for (let step = 0; step < maxSteps && !done(); step++) {
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers.shift();
      if (next) {
        this.t = Math.max(this.t, next.at + lateness());
        next.fn();
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!done()) throw new Error('virtual time ran out of steps');
  }
}

/** A TCP server that records every byte one connection sends, until that connection ends. */
async function recordingServer(): Promise<{ server: Server; port: number; bytes: Promise<Buffer> }> {
  let deliver!: (b: Buffer) => void;
  const bytes = new Promise<Buffer>((resolve) => {
    deliver = resolve;
  });
  const server = createServer((socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => deliver(Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return { server, port: addr.port, bytes };
}

function decode(stream: Buffer): AudioSocketMessage[] {
  return new AudioSocketDecoder().push(stream);
}

function audioOf(messages: AudioSocketMessage[]): Int16Array {
  const pcm = Buffer.concat(messages.flatMap((m) => (m.type === 'audio' ? [m.payload] : [])));
  return new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length));
}

describe('the simulated Asterisk reproduces the recorded Asterisk 22.10 AudioSocket streams', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function replay(
    scenario: AudioSocketScenario,
    dtmfAfterFrames: { frames: number; digit: '1' | '5' | '#'; durationMs: number }[] = [],
  ): Promise<{ stream: Buffer; call: SimulatedAudioSocketCall; recorded: Buffer }> {
    const recorded = loadStream(scenario);
    const messages = decode(recorded);
    const first = messages[0];
    if (first?.type !== 'uuid') throw new Error('fixture does not start with a UUID');
    const firstAudio = messages.find((m) => m.type === 'audio');
    const kind = firstAudio?.type === 'audio' ? firstAudio.kind : 0x10;
    const rec = await recordingServer();
    cleanups.push(() => new Promise((resolve) => rec.server.close(resolve)));
    const time = new VirtualTime();
    const call = await dialAudioSocket({
      host: '127.0.0.1',
      port: rec.port,
      uuid: first.uuid,
      kind,
      source: { type: 'samples', samples: audioOf(messages) },
      onSourceEnd: 'hangup',
      now: time.now,
      setTimer: time.setTimer,
      clearTimer: time.clearTimer,
    });
    cleanups.push(() => call.hangup());
    for (const d of dtmfAfterFrames) {
      await time.runUntil(() => call.framesSent >= d.frames);
      void call.sendDtmf(d.digit, { durationMs: d.durationMs });
    }
    await time.runUntil(() => call.state !== 'open');
    return { stream: await rec.bytes, call, recorded };
  }

  it('01 slin: byte for byte (UUID frame 01 00 10 <16 B>, then 10 01 40 <320 B> frames), closing with FIN only', async () => {
    const { stream, call, recorded } = await replay('01-inbound-audiosocket-slin');
    expect(stream.subarray(0, 3).toString('hex')).toBe('010010');
    expect(stream.subarray(19, 22).toString('hex')).toBe('100140');
    expect(stream.equals(recorded)).toBe(true);
    expect(await call.closed).toEqual({ by: 'local', reason: 'source_ended' });
  });

  it('02 slin16: byte for byte (12 02 80 <640 B> frames)', async () => {
    const { stream, recorded } = await replay('02-inbound-audiosocket-slin16');
    expect(stream.subarray(19, 22).toString('hex')).toBe('120280');
    expect(stream.equals(recorded)).toBe(true);
  });

  it('03 DTMF: byte for byte, digits 1, 5, # as 0x03 frames after no audio for the digit duration', async () => {
    const { stream, recorded } = await replay('03-dtmf', [
      { frames: 47, digit: '1', durationMs: 160 },
      { frames: 67, digit: '5', durationMs: 160 },
      { frames: 87, digit: '#', durationMs: 240 },
    ]);
    expect(stream.equals(recorded)).toBe(true);
  });

  it('paces audio on a drift-free 20 ms schedule matching the recorded frame rate, even when timers fire late', async () => {
    const summary = loadSummary('01-inbound-audiosocket-slin');
    const gaps = summary.audio_inter_frame_gap_stats;
    let seed = 7;
    const jitter = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed % 1500) / 100; // 0..15 ms late, like a loaded event loop
    };
    const rec = await recordingServer();
    cleanups.push(() => new Promise((resolve) => rec.server.close(resolve)));
    const time = new VirtualTime();
    const call = await dialAudioSocket({
      host: '127.0.0.1',
      port: rec.port,
      uuid: summary.non_audio_frames[0]!.uuid!,
      now: time.now,
      setTimer: time.setTimer,
      clearTimer: time.clearTimer,
    });
    cleanups.push(() => call.hangup());
    await time.runUntil(() => call.framesSent >= 1000, jitter);

    // Frame n is due at start + n * 20 ms: no drift however late individual timers fire.
    call.sent.forEach((f, n) => {
      expect(f.scheduledAt).toBe(call.sent[0]!.scheduledAt + n * 20);
    });
    for (const f of call.sent) expect(f.at - f.scheduledAt).toBeLessThan(20);
    const meanGap = (call.sent.at(-1)!.scheduledAt - call.sent[0]!.scheduledAt) / (call.sent.length - 1);
    // Asterisk's recorded mean gap is 20.014 ms (its frames follow the caller's RTP).
    expect(Math.abs(meanGap - gaps.mean_ms)).toBeLessThan(0.1);
    expect(gaps.p50_ms).toBeGreaterThan(19.5);
    expect(gaps.p50_ms).toBeLessThan(20.5);
    // Over the recorded call's duration, as many frames as Asterisk sent.
    const window = summary.audio_duration_ms_first_to_last;
    const inWindow = call.sent.filter((f) => f.scheduledAt - call.sent[0]!.scheduledAt <= window).length;
    expect(inWindow).toBe(summary.frames_by_kind['0x10 AUDIO_SLIN']!.count);
  });
});
