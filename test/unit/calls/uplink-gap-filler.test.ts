import { describe, expect, it } from 'vitest';
import { type AudioFormat, PCM8K, PCM16K, ULAW8K } from '../../../src/audio/format.js';
import { MediaClock } from '../../../src/audio/media-clock.js';
import { MediaBridge } from '../../../src/calls/media-bridge.js';
import type { MediaLegEvents, SpeechDetector, SpeechEvents } from '../../../src/calls/media-leg.js';
import { GAP_REPORT_MS, type UplinkGap, UplinkGapFiller } from '../../../src/calls/uplink-gap-filler.js';
import type { CallNotice, VoiceAgent } from '../../../src/calls/voice-agent.js';
import { TypedEmitter } from '../../../src/lib/typed-emitter.js';
import { createLogger } from '../../../src/observability/logger.js';

interface Injected {
  frame: Buffer;
  format: AudioFormat;
}

function filler(afterMs = 60) {
  const injected: Injected[] = [];
  const started: number[] = [];
  const ended: UplinkGap[] = [];
  const f = new UplinkGapFiller({
    afterMs,
    inject: (frame, format) => injected.push({ frame, format }),
    afterIo: (fn) => fn(),
    onGapStart: (at) => started.push(at),
    onGapEnd: (gap) => ended.push(gap),
  });
  return { f, injected, started, ended };
}

describe('UplinkGapFiller', () => {
  it('injects nothing while frames arrive, even in bursts and late by less than the threshold', () => {
    const { f, injected, started } = filler(60);
    f.start(0);
    // Frames arrive two at a time every 40 ms, then one 55 ms late; ticks run every 20 ms throughout.
    let now = 0;
    for (let burst = 0; burst < 50; burst++) {
      f.frameArrived(now);
      f.frameArrived(now);
      f.tick(now + 20, PCM8K);
      f.tick(now + 40, PCM8K);
      now += 40;
    }
    f.frameArrived(now);
    for (let t = now + 20; t <= now + 60; t += 20) f.tick(t, PCM8K);
    f.frameArrived(now + 55);
    expect(injected).toEqual([]);
    expect(started).toEqual([]);
    expect(f.stats.gaps).toBe(0);
  });

  it('fills a gap with one 20 ms silence frame per 20 ms of wall time, in the leg format, and stops on the next real frame', () => {
    const { f, injected, started, ended } = filler(60);
    f.start(0);
    f.frameArrived(1000);
    // 1 s without frames; the clock ticks every 20 ms.
    for (let t = 1020; t <= 2000; t += 20) f.tick(t, PCM16K);
    // Once the gap is found (after 60 ms) the frames owed since the last real frame are sent: 1000 ms = 50 frames.
    expect(injected).toHaveLength(50);
    for (const i of injected) {
      expect(i.format).toEqual(PCM16K);
      expect(i.frame.length).toBe(640);
      expect(i.frame.every((b) => b === 0)).toBe(true);
    }
    expect(started).toEqual([1000]);
    expect(f.inGap).toBe(true);
    f.frameArrived(2010);
    expect(f.inGap).toBe(false);
    expect(ended).toEqual([{ startedAt: 1000, durationMs: 1010, filledFrames: 50, open: false, leading: false }]);
    // Real frames flow again: nothing more is injected.
    for (let t = 2020; t <= 2400; t += 20) {
      f.frameArrived(t - 5);
      f.tick(t, PCM16K);
    }
    expect(injected).toHaveLength(50);
  });

  it('fills a short mid-call gap (jitter) but reports only gaps of GAP_REPORT_MS or more', () => {
    const { f, injected, ended } = filler(60);
    f.start(0);
    f.frameArrived(0);
    // 300 ms without frames, then they resume: filled, not reported.
    for (let t = 20; t <= 300; t += 20) f.tick(t, PCM8K);
    f.frameArrived(305);
    expect(injected.length).toBeGreaterThan(0);
    expect(ended).toEqual([]);
    expect(f.stats.gaps).toBe(0);
    // A gap of GAP_REPORT_MS is reported.
    for (let t = 320; t <= 305 + GAP_REPORT_MS; t += 20) f.tick(t, PCM8K);
    f.frameArrived(305 + GAP_REPORT_MS);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ startedAt: 305, durationMs: GAP_REPORT_MS, open: false, leading: false });
  });

  it('treats a leg that never sends as a gap from the start, and reports a gap still open at the end', () => {
    const { f, injected, ended } = filler(60);
    f.start(0);
    for (let t = 20; t <= 1200; t += 20) f.tick(t, ULAW8K);
    expect(injected).toHaveLength(60);
    // μ-law silence is 0xff, 160 bytes per 20 ms.
    expect(injected[0]!.frame).toEqual(Buffer.alloc(160, 0xff));
    f.close(1210);
    expect(ended).toEqual([{ startedAt: 0, durationMs: 1210, filledFrames: 60, open: true, leading: true }]);
  });

  it('does not report a short gap still open at the end (the last frames before a hang-up)', () => {
    const { f, injected, ended } = filler(60);
    f.start(0);
    f.frameArrived(0);
    for (let t = 20; t <= 300; t += 20) f.tick(t, PCM8K);
    expect(injected.length).toBeGreaterThan(0);
    f.close(310);
    expect(ended).toEqual([]);
  });

  it('fills the wait for the first frame, but reports it only from GAP_REPORT_MS on', () => {
    const short = filler(60);
    short.f.start(0);
    for (let t = 20; t <= 200; t += 20) short.f.tick(t, PCM8K);
    short.f.frameArrived(210);
    expect(short.injected).toHaveLength(10);
    expect(short.started).toEqual([]);
    expect(short.ended).toEqual([]);
    expect(short.f.stats.gaps).toBe(0);
    const long = filler(60);
    long.f.start(0);
    for (let t = 20; t <= GAP_REPORT_MS; t += 20) long.f.tick(t, PCM8K);
    long.f.frameArrived(GAP_REPORT_MS);
    expect(long.ended).toEqual([
      { startedAt: 0, durationMs: GAP_REPORT_MS, filledFrames: 50, open: false, leading: true },
    ]);
  });

  it('after a stall of this process, frames still unread when the clock ticks are not doubled', () => {
    const injected: Buffer[] = [];
    const polls: Array<() => void> = [];
    const f = new UplinkGapFiller({ afterMs: 60, inject: (b) => injected.push(b), afterIo: (fn) => polls.push(fn) });
    f.start(0);
    f.frameArrived(0);
    // The process stalled 200 ms: the clock's overdue ticks run before the socket is read.
    f.tick(200, PCM8K);
    f.tick(220, PCM8K);
    expect(polls).toHaveLength(1);
    // The I/O poll then delivers the frames that were waiting: no gap.
    for (let t = 205; t <= 215; t += 2) f.frameArrived(t);
    polls.shift()!();
    expect(injected).toEqual([]);
    expect(f.inGap).toBe(false);
    // A real gap is confirmed by the poll and filled from the last frame on.
    f.tick(300, PCM8K);
    polls.shift()!();
    expect(f.inGap).toBe(true);
    expect(injected).toHaveLength(4);
  });

  it('does not burst after a stall of the process: at most maxFramesPerTick per tick', () => {
    const injected: Buffer[] = [];
    const f = new UplinkGapFiller({
      afterMs: 60,
      maxFramesPerTick: 3,
      inject: (b) => injected.push(b),
      afterIo: (fn) => fn(),
    });
    f.start(0);
    f.frameArrived(0);
    f.tick(2000, PCM8K);
    expect(injected).toHaveLength(3);
    f.tick(2020, PCM8K);
    expect(injected).toHaveLength(4);
  });
});

class FakeLeg extends TypedEmitter<MediaLegEvents> {
  readonly id = 'leg-1';
  format: AudioFormat = PCM8K;
  closed = false;
  sendFrame(): void {}
  caller(frame: Buffer): void {
    this.emit('audio', frame, this.format);
  }
  hangup(): void {}
  async close(): Promise<void> {}
}

class FakeSpeech extends TypedEmitter<SpeechEvents> implements SpeechDetector {
  samples = 0;
  push(samples: Int16Array): void {
    this.samples += samples.length;
  }
  async close(): Promise<void> {}
}

describe('MediaBridge with gap filling', () => {
  it('sends the filled silence through the same path as caller audio: to the agent and to speech detection', async () => {
    let now = 0;
    let fire: (() => void) | undefined;
    const clock = new MediaClock({
      now: () => now,
      setTimer: (fn) => {
        fire = fn;
        return 1;
      },
      clearTimer: () => {},
    });
    const leg = new FakeLeg();
    const toAgent: Buffer[] = [];
    const agent = {
      kind: 'test',
      inputFormat: PCM16K,
      outputFormat: PCM16K,
      start: async () => {},
      sendAudio: (chunk: Buffer) => toAgent.push(chunk),
      notify: (_n: CallNotice) => {},
      close: async () => {},
    } satisfies VoiceAgent;
    const speech = new FakeSpeech();
    const gaps: UplinkGap[] = [];
    const bridge = new MediaBridge({
      callId: 'call-1',
      leg,
      agent,
      clock,
      playoutMaxMs: 10_000,
      bargeIn: false,
      speech: () => speech,
      act: async () => {},
      onAgentFailure: () => {},
      logger: createLogger({ level: 'silent', pretty: false }),
      gapFillAfterMs: 60,
      onGapEnd: (g) => gaps.push(g),
      now: () => now,
    });
    bridge.start();
    bridge.agentReady();
    clock.start();
    const tickTo = async (t: number) => {
      while (now < t) {
        now += 20;
        fire?.();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    // 200 ms of real frames, then 1 s of nothing, then real frames again.
    for (let i = 0; i < 10; i++) {
      await tickTo(now + 20);
      leg.caller(Buffer.alloc(320, 1));
    }
    const realBytes = toAgent.reduce((n, b) => n + b.length, 0);
    await tickTo(now + 1000);
    expect(bridge.gapStats.filledFrames).toBe(50);
    expect(bridge.uplinkSilentMs).toBe(1000);
    // The agent got 1 s more audio at 16 kHz (the converter holds a few samples back), and VAD 1 s more at 8 kHz.
    const agentBytes = toAgent.reduce((n, b) => n + b.length, 0) - realBytes;
    expect(agentBytes).toBeGreaterThan(31_000);
    expect(agentBytes).toBeLessThanOrEqual(32_000 + 640);
    expect(speech.samples).toBe(10 * 160 + 50 * 160);
    leg.caller(Buffer.alloc(320, 1));
    expect(gaps).toHaveLength(1);
    expect(bridge.gapStats.gaps).toBe(1);
    expect(gaps[0]).toMatchObject({ durationMs: 1000, filledFrames: 50, open: false });
    await tickTo(now + 40);
    expect(bridge.gapStats.filledFrames).toBe(50);
    await bridge.close();
  });
});
