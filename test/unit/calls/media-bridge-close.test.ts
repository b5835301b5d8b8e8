import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AudioFormat, PCM16K } from '../../../src/audio/format.js';
import type { ClockTick, MediaClock } from '../../../src/audio/media-clock.js';
import { MediaBridge } from '../../../src/calls/media-bridge.js';
import type { MediaLeg, MediaLegEvents, SpeechDetector, SpeechEvents } from '../../../src/calls/media-leg.js';
import type { VoiceAgent } from '../../../src/calls/voice-agent.js';
import { TypedEmitter } from '../../../src/lib/typed-emitter.js';
import { createLogger } from '../../../src/observability/logger.js';

class FakeLeg extends TypedEmitter<MediaLegEvents> implements MediaLeg {
  readonly id = 'leg-1';
  readonly closed = false;
  readonly format: AudioFormat = PCM16K;
  sent = 0;
  sendFrame(): void {
    this.sent += 1;
  }
  caller(frame: Buffer): void {
    this.emit('audio', frame, PCM16K);
  }
  hangup(): void {}
  async close(): Promise<void> {}
}

class FakeAgent implements VoiceAgent {
  readonly kind = 'fake';
  readonly inputFormat = PCM16K;
  readonly outputFormat = PCM16K;
  chunks = 0;
  async start(): Promise<void> {}
  sendAudio(): void {
    this.chunks += 1;
  }
  notify(): void {}
  async close(): Promise<void> {}
}

class ManualClock {
  readonly listeners = new Set<(tick: ClockTick) => void>();
  subscribe(listener: (tick: ClockTick) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** A speech detector whose close() resolves only when the test says so (or never). */
class FakeSpeech extends TypedEmitter<SpeechEvents> implements SpeechDetector {
  closes = 0;
  readonly #closed: Promise<void>;
  constructor(closed: Promise<void>) {
    super();
    this.#closed = closed;
  }
  push(): void {}
  close(): Promise<void> {
    this.closes += 1;
    return this.#closed;
  }
}

function setup(speechClosed: Promise<void>) {
  const leg = new FakeLeg();
  const agent = new FakeAgent();
  const clock = new ManualClock();
  const speech = new FakeSpeech(speechClosed);
  const bridge = new MediaBridge({
    callId: 'call-1',
    leg,
    agent,
    clock: clock as unknown as MediaClock,
    playoutMaxMs: 1000,
    bargeIn: false,
    speech: () => speech,
    act: async () => {},
    onAgentFailure: () => {},
    logger: createLogger({ level: 'silent', pretty: false }),
  });
  bridge.start();
  bridge.agentReady();
  return { leg, agent, clock, speech, bridge };
}

describe('MediaBridge.close', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is async and idempotent: stops at once, closes the speech detector once, every call gets the same promise', async () => {
    let release!: () => void;
    const { leg, agent, clock, speech, bridge } = setup(new Promise<void>((r) => (release = r)));
    leg.caller(Buffer.alloc(640));
    expect(agent.chunks).toBe(1);
    agent.chunks = 0;
    const first = bridge.close();
    const second = bridge.close();
    expect(first).toBeInstanceOf(Promise);
    expect(second).toBe(first);
    // Media stops synchronously, before the promise settles.
    expect(clock.listeners.size).toBe(0);
    leg.caller(Buffer.alloc(640));
    expect(agent.chunks).toBe(0);
    let settled = false;
    void first.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    release();
    await first;
    expect(speech.closes).toBe(1);
  });

  it('resolves even when the speech detector never closes', async () => {
    vi.useFakeTimers();
    const { bridge } = setup(new Promise<void>(() => {}));
    let settled = false;
    void bridge.close().then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(1000);
    expect(settled).toBe(true);
  });

  it('resolves when the speech detector fails to close', async () => {
    const { bridge } = setup(Promise.reject(new Error('boom')));
    await expect(bridge.close()).resolves.toBeUndefined();
  });
});
