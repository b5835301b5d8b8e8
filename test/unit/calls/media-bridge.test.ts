import { describe, expect, it } from 'vitest';
import { type AudioFormat, PCM8K, PCM16K, pcmSamples, ULAW8K } from '../../../src/audio/format.js';
import { ulawEncode } from '../../../src/audio/g711.js';
import { MediaClock } from '../../../src/audio/media-clock.js';
import { MediaBridge } from '../../../src/calls/media-bridge.js';
import type { MediaLeg, MediaLegEvents } from '../../../src/calls/media-leg.js';
import type { CallNotice, VoiceAgent } from '../../../src/calls/voice-agent.js';
import { TypedEmitter } from '../../../src/lib/typed-emitter.js';
import { createLogger } from '../../../src/observability/logger.js';
import { fakeTime } from '../../support/fake-time.js';
import { ManualClock } from '../../support/manual-clock.js';

const FRAME_8K = 320; // 20 ms of 8 kHz pcm16

class FakeLeg extends TypedEmitter<MediaLegEvents> implements MediaLeg {
  readonly id = 'leg-1';
  readonly closed = false;
  readonly format: AudioFormat = PCM8K;
  readonly sent: Array<{ data: Buffer; silence: boolean }> = [];
  sendFrame(frame: Buffer, info?: { silence: boolean }): void {
    this.sent.push({ data: frame, silence: info?.silence ?? false });
  }
  /** One 20 ms caller frame, every sample `value`. */
  caller(value: number): Buffer {
    const frame = Buffer.alloc(FRAME_8K);
    for (let i = 0; i < frame.length; i += 2) frame.writeInt16LE(value, i);
    this.emit('audio', frame, PCM8K);
    return frame;
  }
  hangup(): void {}
  async close(): Promise<void> {}
}

class FakeAgent implements VoiceAgent {
  readonly kind = 'fake';
  constructor(
    readonly inputFormat: AudioFormat = ULAW8K,
    readonly outputFormat: AudioFormat = PCM8K,
  ) {}
  readonly notices: CallNotice[] = [];
  readonly chunks: Buffer[] = [];
  async start(): Promise<void> {}
  sendAudio(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  notify(notice: CallNotice): void {
    this.notices.push(notice);
  }
  async close(): Promise<void> {}
}

function setup(options: { ready?: boolean; preStartBufferMs?: number; agent?: FakeAgent } = {}) {
  const leg = new FakeLeg();
  const agent = options.agent ?? new FakeAgent();
  const clock = new ManualClock();
  const bridge = new MediaBridge({
    callId: 'call-1',
    leg,
    agent,
    clock: clock as unknown as MediaClock,
    playoutMaxMs: 10_000,
    bargeIn: false,
    act: async () => {},
    onAgentFailure: () => {},
    logger: createLogger({ level: 'silent', pretty: false }),
    ...(options.preStartBufferMs !== undefined ? { preStartBufferMs: options.preStartBufferMs } : {}),
  });
  bridge.start();
  if (options.ready !== false) bridge.agentReady();
  return { leg, agent, clock, bridge };
}

/** `frames` 20 ms agent frames (8 kHz pcm16), frame k filled with the value k. */
function agentAudio(frames: number): Buffer {
  const data = Buffer.alloc(frames * FRAME_8K);
  for (let k = 0; k < frames; k++) for (let i = 0; i < FRAME_8K; i += 2) data.writeInt16LE(k + 1, k * FRAME_8K + i);
  return data;
}

describe('MediaBridge with a fake leg, agent and clock', () => {
  it("delivers caller frames to the agent in the agent's format", () => {
    const { leg, agent } = setup();
    const a = leg.caller(1000);
    const b = leg.caller(-2000);
    expect(agent.chunks).toEqual([ulawEncode(pcmSamples(a)), ulawEncode(pcmSamples(b))]);
  });

  it('holds caller audio until the agent is ready, bounded (oldest dropped)', () => {
    const { leg, agent, bridge } = setup({ ready: false, preStartBufferMs: 40 });
    const frames = [leg.caller(1), leg.caller(2), leg.caller(3)];
    expect(agent.chunks).toEqual([]);
    bridge.agentReady();
    expect(agent.chunks).toEqual(frames.slice(1).map((f) => ulawEncode(pcmSamples(f))));
    expect(bridge.stats.preStartDroppedFrames).toBe(1);
  });

  it('sends silence while the agent has nothing to say, and agent audio one frame per tick', () => {
    const { leg, clock, bridge } = setup();
    clock.tick();
    expect(leg.sent).toEqual([{ data: Buffer.alloc(FRAME_8K), silence: true }]);
    bridge.output.audio(agentAudio(3), { utteranceId: 'u1' });
    clock.tick();
    expect(leg.sent).toHaveLength(2);
    expect(leg.sent[1]!.silence).toBe(false);
    expect(leg.sent[1]!.data.readInt16LE(0)).toBe(1);
    clock.tick(2);
    expect(leg.sent.slice(2).map((f) => [f.silence, f.data.readInt16LE(0)])).toEqual([
      [false, 2],
      [false, 3],
    ]);
    clock.tick();
    expect(leg.sent.at(-1)!.silence).toBe(true);
    expect(bridge.stats).toMatchObject({ framesOut: 5, silenceFramesOut: 2 });
  });

  it('interrupt flushes playout and tells the agent how much of the utterance was played', () => {
    const { leg, agent, clock, bridge } = setup();
    bridge.output.audio(agentAudio(5), { utteranceId: 'u1' });
    clock.tick(2);
    const result = bridge.interrupt('barge_in');
    expect(result.droppedMs).toBe(60);
    expect(agent.notices).toContainEqual({ type: 'interruption', utteranceId: 'u1', playedMs: 40, totalMs: 100 });
    expect(bridge.stats.bargeIns).toBe(1);
    clock.tick();
    expect(leg.sent.at(-1)!.silence).toBe(true);
  });

  it('close is idempotent: nothing more goes out or in', async () => {
    const { leg, agent, clock, bridge } = setup();
    bridge.output.audio(agentAudio(2), { utteranceId: 'u1' });
    await bridge.close();
    await bridge.close();
    clock.tick(3);
    leg.caller(5);
    expect(leg.sent).toEqual([]);
    expect(agent.chunks).toEqual([]);
  });
});

describe('MediaBridge buffer ownership', () => {
  it('a frame handed to the agent or the leg is never changed by the frames after it', () => {
    // A 16 kHz agent: caller audio is resampled in the converter's scratch buffers, then cut into frames.
    const { leg, agent, clock, bridge } = setup({ agent: new FakeAgent(PCM16K, PCM16K) });
    const sentCopies: Buffer[] = [];
    const chunkCopies: Buffer[] = [];
    for (let k = 1; k <= 60; k++) {
      leg.caller(k * 300);
      for (const c of agent.chunks.slice(chunkCopies.length)) chunkCopies.push(Buffer.from(c));
      // The agent answers with its own 20 ms frame of a value of its own.
      bridge.output.audio(Buffer.alloc(640, k), { utteranceId: 'u1' });
      clock.tick();
      for (const f of leg.sent.slice(sentCopies.length)) sentCopies.push(Buffer.from(f.data));
    }
    expect(agent.chunks.length).toBeGreaterThan(50);
    expect(leg.sent.filter((f) => !f.silence).length).toBeGreaterThan(50);
    expect(agent.chunks).toEqual(chunkCopies);
    expect(leg.sent.map((f) => f.data)).toEqual(sentCopies);
  });
});

describe('MediaBridges on a phased media clock', () => {
  it('each call sends on its own exact 20 ms grid, calls spread over the phases, joining and leaving', async () => {
    const t = fakeTime(0);
    const clock = new MediaClock({ phases: 4, now: t.now, setTimer: t.setTimer, clearTimer: t.clearTimer });
    const sends = new Map<string, number[]>();
    const bridges = new Map<string, MediaBridge>();
    const open = (name: string) => {
      const times: number[] = [];
      sends.set(name, times);
      const leg = new FakeLeg();
      const send = leg.sendFrame.bind(leg);
      leg.sendFrame = (frame, info) => {
        times.push(t.now());
        send(frame, info);
      };
      const bridge = new MediaBridge({
        callId: name,
        leg,
        agent: new FakeAgent(),
        clock,
        playoutMaxMs: 10_000,
        bargeIn: false,
        act: async () => {},
        onAgentFailure: () => {},
        logger: createLogger({ level: 'silent', pretty: false }),
      });
      bridge.start();
      bridges.set(name, bridge);
    };
    for (let i = 0; i < 12; i++) open(`a${i}`);
    clock.start();
    t.advance(10_000);
    // Three of the twelve leave; four join (the first three take the freed slots).
    for (const name of ['a1', 'a5', 'a9']) await bridges.get(name)!.close();
    expect(clock.phaseLoad).toEqual([3, 0, 3, 3]);
    for (let i = 0; i < 4; i++) open(`b${i}`);
    expect(clock.phaseLoad).toEqual([4, 3, 3, 3]);
    t.advance(290_000); // five minutes in all (the clock's own test runs an hour)
    clock.stop();
    for (const [name, times] of sends) {
      const phaseMs = times[0]! % 20;
      expect(phaseMs % 5, name).toBe(0);
      // Every frame exactly 20 ms after the one before: no drift, no accumulated error, none missing.
      const off = times.findIndex((at, i) => i > 0 && at - times[i - 1]! !== 20);
      expect(off, name).toBe(-1);
      expect(times.length, name).toBeGreaterThan(400);
    }
    // No wake-up wrote to more than a quarter (rounded up) of the live calls.
    const perInstant = new Map<number, number>();
    for (const times of sends.values()) for (const at of times) perInstant.set(at, (perInstant.get(at) ?? 0) + 1);
    let most = 0;
    for (const n of perInstant.values()) most = Math.max(most, n);
    expect(most).toBe(4);
    expect(new Set([...perInstant.keys()].map((at) => at % 20))).toEqual(new Set([0, 5, 10, 15]));
  });
});
