import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpeechDetector, SpeechEvents } from '../../src/calls/media-leg.js';
import { CallsRepository } from '../../src/db/calls-repository.js';
import { TypedEmitter } from '../../src/lib/typed-emitter.js';
import { type ApiEnv, startApiEnv } from '../integration/http/http-test-env.js';
import { until } from '../support/wait.js';

/**
 * A speech detector driven by the caller's frames: speech starts on the 5th frame and ends (decided 100 ms later)
 * on the 20th, once per call. Stands in for the VAD so the turn-latency path runs without a model.
 */
class ScriptedSpeech extends TypedEmitter<SpeechEvents> implements SpeechDetector {
  #frames = 0;
  push(): void {
    this.#frames += 1;
    if (this.#frames === 5) this.emit('speechStart', { atMs: 100 });
    if (this.#frames === 20) this.emit('speechEnd', { atMs: 300, durationMs: 200, detectedAtMs: 400 });
  }
  async close(): Promise<void> {}
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
}

describe('/metrics during a call and the per-call latency breakdown', () => {
  let env: ApiEnv;
  beforeAll(async () => {
    env = await startApiEnv({}, { speech: () => new ScriptedSpeech() });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  }, 60_000);

  const scrape = async () => (await env.h.app.http!.fastify.inject({ method: 'GET', url: '/metrics' })).body;

  it('counters move while a call runs and its outcome is counted when it ends; latency is stored', async () => {
    const before = await scrape();
    expect(metric(before, 'ava_active_calls')).toBe(0);
    const caller = await env.h.sim.placeInboundCall({ caller: '+4930555', extension: '100' });
    await until(
      async () => (env.h.app.registry.list()[0]?.state === 'active' ? true : undefined),
      20_000,
      'call active',
    );
    const session = env.h.app.registry.list()[0]!;
    const first = await scrape();
    expect(metric(first, 'ava_active_calls')).toBe(1);
    await until(
      async () =>
        (session.bridge?.stats.framesIn ?? 0) > metric(first, 'ava_audio_frames_in_total') + 10 ? true : undefined,
      20_000,
      'more frames',
    );
    await until(
      async () => (session.bridge && session.bridge.latency.turns > 0 ? true : undefined),
      20_000,
      'a measured turn',
    );
    const second = await scrape();
    expect(metric(second, 'ava_audio_frames_in_total')).toBeGreaterThan(metric(first, 'ava_audio_frames_in_total'));
    expect(metric(second, 'ava_audio_frames_out_total')).toBeGreaterThan(metric(first, 'ava_audio_frames_out_total'));
    expect(metric(second, 'ava_clock_ticks_total')).toBeGreaterThan(metric(first, 'ava_clock_ticks_total'));
    expect(metric(second, 'ava_agent_connect_seconds_count')).toBe(1);

    await caller.hangup();
    await until(async () => (env.h.app.registry.size === 0 ? true : undefined), 20_000, 'call gone');
    const after = await scrape();
    expect(metric(after, 'ava_active_calls')).toBe(0);
    expect(after).toContain('ava_calls_total{outcome="caller_hangup"} 1');
    expect(metric(after, 'ava_audio_frames_in_total')).toBeGreaterThanOrEqual(
      metric(second, 'ava_audio_frames_in_total'),
    );

    const calls = new CallsRepository(env.tmp.db);
    const row = await until(
      async () => {
        const r = await calls.get(session.id);
        return r?.endedAt ? r : undefined;
      },
      20_000,
      'call ended in MySQL',
    );
    expect(row.latency).toMatchObject({
      turns: 1,
      speechEndToAgentAudio: { count: 1, lastMs: expect.any(Number) },
      agentAudioToFirstFrame: { count: 1, lastMs: expect.any(Number) },
      speechEndToFirstFrame: { count: 1, lastMs: expect.any(Number) },
    });
    const l = row.latency as { speechEndToAgentAudio: { lastMs: number }; speechEndToFirstFrame: { lastMs: number } };
    // The speech ended 100 ms before the detector said so; the whole turn includes that.
    expect(l.speechEndToAgentAudio.lastMs).toBeGreaterThanOrEqual(100);
    expect(l.speechEndToFirstFrame.lastMs).toBeGreaterThanOrEqual(l.speechEndToAgentAudio.lastMs);
  }, 60_000);
});
