import { describe, expect, it } from 'vitest';
import { type AudioFormat, PCM8K, PCM16K, PCM24K, pcmBuffer, pcmSamples, ULAW8K } from '../../../src/audio/format.js';
import { ulawEncode } from '../../../src/audio/g711.js';
import type { MediaClock } from '../../../src/audio/media-clock.js';
import { generateTone, rmsDbfs } from '../../../src/audio/tone-analysis.js';
import { MediaBridge } from '../../../src/calls/media-bridge.js';
import type { MediaLeg, MediaLegEvents } from '../../../src/calls/media-leg.js';
import type { AgentOutput, CallNotice, VoiceAgent } from '../../../src/calls/voice-agent.js';
import { TypedEmitter } from '../../../src/lib/typed-emitter.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ManualClock } from '../../support/manual-clock.js';

/** A leg whose format the test sets, recording every frame the bridge sends. */
class FakeLeg extends TypedEmitter<MediaLegEvents> implements MediaLeg {
  readonly id = 'leg-1';
  readonly closed = false;
  format: AudioFormat;
  readonly sent: Array<{ data: Buffer; silence: boolean; format: AudioFormat }> = [];
  readonly #log: string[];
  constructor(format: AudioFormat, log: string[]) {
    super();
    this.format = format;
    this.#log = log;
  }
  sendFrame(frame: Buffer, info?: { silence: boolean }): void {
    this.sent.push({ data: frame, silence: info?.silence ?? false, format: this.format });
    if (!info?.silence) this.#log.push(`frame:${this.sent.filter((f) => !f.silence).length}`);
  }
  /** Asterisk's audio arrives in `format` (the first frame, or a kind change). */
  callerFrame(format: AudioFormat, value = 0): void {
    this.format = format;
    const frame = Buffer.alloc((format.sampleRate / 1000) * 20 * 2);
    for (let i = 0; i < frame.length; i += 2) frame.writeInt16LE(value, i);
    this.emit('audio', frame, format);
  }
  /** A kind change announced before the audio (as the AudioSocket leg does mid-call). */
  changeKind(format: AudioFormat): void {
    this.format = format;
    this.emit('formatChange', format);
  }
  hangup(): void {}
  async close(): Promise<void> {}
}

class FakeAgent implements VoiceAgent {
  readonly kind = 'fake';
  readonly notices: CallNotice[] = [];
  readonly chunks: Buffer[] = [];
  readonly #log: string[];
  constructor(
    readonly inputFormat: AudioFormat,
    readonly outputFormat: AudioFormat,
    log: string[],
  ) {
    this.#log = log;
  }
  async start(): Promise<void> {}
  sendAudio(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  notify(notice: CallNotice): void {
    this.notices.push(notice);
    if (notice.type === 'mark' || notice.type === 'markCleared') this.#log.push(`${notice.type}:${notice.name}`);
  }
  async close(): Promise<void> {}
}

function setup(legFormat: AudioFormat, agentIn: AudioFormat, agentOut: AudioFormat) {
  const log: string[] = [];
  const leg = new FakeLeg(legFormat, log);
  const agent = new FakeAgent(agentIn, agentOut, log);
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
  });
  bridge.start();
  bridge.agentReady();
  return { log, leg, agent, clock, bridge, output: bridge.output as AgentOutput };
}

/** A Twilio-style greeting: `frames` 20 ms μ-law chunks of a tone, each followed by a mark. */
function sendGreeting(output: AgentOutput, frames: number): Buffer {
  const tone = generateTone({ rate: 8000, freq: 500, amplitude: 8000, ms: frames * 20 });
  const ulaw = ulawEncode(tone);
  for (let i = 0; i < frames; i++) {
    output.audio(ulaw.subarray(i * 160, (i + 1) * 160), { utteranceId: 'greeting' });
    output.mark(`chunk-${i + 1}`);
  }
  return ulaw;
}

function voicedMs(leg: FakeLeg): number {
  return leg.sent.filter((f) => !f.silence).reduce((ms, f) => ms + (f.data.length / 2 / f.format.sampleRate) * 1000, 0);
}

/** Every `mark:chunk-k` comes after the k-th agent frame went to the leg (and no mark is cleared). */
function expectMarksAfterTheirAudio(log: string[], count: number): void {
  expect(log.filter((e) => e.startsWith('markCleared'))).toEqual([]);
  for (let k = 1; k <= count; k++) {
    const markAt = log.indexOf(`mark:chunk-${k}`);
    expect(markAt, `mark chunk-${k} answered`).toBeGreaterThanOrEqual(0);
    expect(log.indexOf(`frame:${k}`), `frame ${k} before mark chunk-${k}`).toBeGreaterThanOrEqual(0);
    expect(log.indexOf(`frame:${k}`)).toBeLessThan(markAt);
  }
}

describe('MediaBridge: the leg rate changes while agent audio is queued', () => {
  it('keeps the queued greeting and its marks when Asterisk first sends slin16 on a leg planned at slin', () => {
    const { log, leg, agent, clock, output } = setup(PCM8K, ULAW8K, ULAW8K);
    sendGreeting(output, 25);
    clock.tick(3);
    expect(log.filter((e) => e.startsWith('mark'))).toEqual(['mark:chunk-1', 'mark:chunk-2', 'mark:chunk-3']);
    // Asterisk's first frame is slin16: the leg's rate was learned late.
    leg.callerFrame(PCM16K);
    // Nothing was answered by the change itself, and nothing was flushed.
    expect(log.filter((e) => e.startsWith('mark'))).toHaveLength(3);
    expect(agent.notices.filter((n) => n.type === 'interruption' || n.type === 'markCleared')).toEqual([]);
    clock.tick(40);
    // Every frame of the greeting reached the caller: 3 at 8 kHz, the rest at 16 kHz.
    expect(voicedMs(leg)).toBeGreaterThanOrEqual(500);
    expect(leg.sent.filter((f) => !f.silence && f.format === PCM16K).every((f) => f.data.length === 640)).toBe(true);
    const after = Buffer.concat(leg.sent.filter((f) => !f.silence && f.format === PCM16K).map((f) => f.data));
    // The tone's energy is kept across the change (μ-law, resampled: within 1 dB).
    const level = rmsDbfs(generateTone({ rate: 8000, freq: 500, amplitude: 8000, ms: 100 }));
    expect(Math.abs(rmsDbfs(pcmSamples(after.subarray(0, 640 * 20))) - level)).toBeLessThan(1);
    expectMarksAfterTheirAudio(log, 25);
    output.endUtterance('greeting');
    clock.tick(2);
    const end = agent.notices.find((n) => n.type === 'utteranceEnd');
    expect(end).toMatchObject({ utteranceId: 'greeting' });
    expect((end as { playedMs: number }).playedMs).toBeGreaterThanOrEqual(500);
  });

  it('does the same for a mid-call kind change announced by formatChange (slin16 → slin), for a PCM16 agent', () => {
    const { log, leg, agent, clock, output } = setup(PCM16K, PCM24K, PCM24K);
    const tone = pcmBuffer(generateTone({ rate: 24000, freq: 700, amplitude: 8000, ms: 400 }));
    for (let i = 0; i < 20; i++) {
      output.audio(tone.subarray(i * 960, (i + 1) * 960), { utteranceId: 'u1' });
      output.mark(`chunk-${i + 1}`);
    }
    clock.tick(5);
    leg.changeKind(PCM8K);
    leg.callerFrame(PCM8K);
    expect(agent.notices.filter((n) => n.type === 'markCleared' || n.type === 'interruption')).toEqual([]);
    clock.tick(30);
    // 400 ms sent, give or take the resampler's group delay at the switch.
    expect(voicedMs(leg)).toBeGreaterThanOrEqual(395);
    expect(output.playedMs('u1')).toBeGreaterThanOrEqual(395);
    expectMarksAfterTheirAudio(log, 20);
  });

  it('still answers pending marks on an agent clear, and only then', () => {
    const { log, leg, clock, output } = setup(PCM8K, ULAW8K, ULAW8K);
    sendGreeting(output, 10);
    clock.tick(2);
    leg.callerFrame(PCM16K);
    expect(log.filter((e) => e.startsWith('markCleared'))).toEqual([]);
    output.interrupt();
    expect(log.filter((e) => e.startsWith('markCleared'))).toHaveLength(8);
  });
});

describe('MediaBridge: caller audio reaches the agent in whole frames', () => {
  it('gives a μ-law 8 kHz agent exactly 160 bytes per chunk on a 16 kHz leg, from the first chunk', () => {
    const { leg, agent } = setup(PCM16K, ULAW8K, ULAW8K);
    for (let i = 0; i < 50; i++) leg.callerFrame(PCM16K, 1000);
    expect(agent.chunks.length).toBe(50);
    expect(agent.chunks.map((c) => c.length).filter((n) => n !== 160)).toEqual([]);
  });

  it('gives a 24 kHz PCM agent whole 960-byte frames on an 8 kHz leg, across a leg rate change', () => {
    const { leg, agent } = setup(PCM8K, PCM24K, PCM24K);
    for (let i = 0; i < 10; i++) leg.callerFrame(PCM8K, 1000);
    for (let i = 0; i < 10; i++) leg.callerFrame(PCM16K, 1000);
    expect(agent.chunks.length).toBeGreaterThanOrEqual(19);
    expect(agent.chunks.map((c) => c.length).filter((n) => n !== 960)).toEqual([]);
  });
});
