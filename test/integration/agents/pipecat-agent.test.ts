import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PCM8K, PCM16K, pcmSamples } from '../../../src/audio/format.js';
import type { PipecatAgent } from '../../../src/calls/agents/pipecat-agent.js';
import { createPipecatAgent } from '../../../src/calls/agents/pipecat-agent-factory.js';
import { MemoryTranscriptSink } from '../../../src/calls/agents/realtime-transcripts.js';
import type { CallInfo } from '../../../src/calls/voice-agent.js';
import { type Route, websocketAgentSchema } from '../../../src/config/routes.js';
import { type PipecatBot, startPipecatBot } from '../../../src/simulator/agents/pipecat-bot.js';
import { FakeBridge } from '../../support/realtime-fake-bridge.js';
import { waitFor } from '../../support/wait.js';

const logger = pino({ level: 'silent' });

function callFor(url: string): { call: CallInfo; agent: PipecatAgent; bridge: FakeBridge } {
  const config = websocketAgentSchema.parse({
    kind: 'websocket',
    dialect: 'pipecat',
    url,
    reconnect: { maxAttempts: 1 },
  });
  const route = { name: 'pipecat', agent: config, customParameters: {} } as unknown as Route;
  const call: CallInfo = {
    callId: 'call-pipecat-test',
    direction: 'inbound',
    caller: '100',
    callee: '200',
    route,
    legFormat: PCM8K,
    channelId: undefined,
    startedAt: new Date(),
    customParameters: { lang: 'de' },
  };
  const agent = createPipecatAgent(call, config, undefined, new MemoryTranscriptSink(), logger);
  const bridge = new FakeBridge(PCM16K);
  bridge.agent = agent;
  return { call, agent, bridge };
}

/** Interleaved stereo with a constant level on each channel. */
function stereo(rate: number, ms: number, left: number, right: number): Buffer {
  const n = (rate * ms) / 1000;
  const s = new Int16Array(2 * n);
  for (let i = 0; i < n; i++) {
    s[2 * i] = left;
    s[2 * i + 1] = right;
  }
  return Buffer.from(s.buffer);
}

describe('PipecatAgent against a bot on a real socket', () => {
  let bot: PipecatBot | undefined;
  let agent: PipecatAgent | undefined;
  afterEach(async () => {
    await agent?.close('caller_hangup', 'caller');
    await bot?.close();
    bot = undefined;
    agent = undefined;
  });

  it('maps control-plane text, keypad digits, the bot’s own interruptions and stereo audio at another rate', async () => {
    bot = await startPipecatBot();
    const built = callFor(bot.url);
    agent = built.agent;
    const { call, bridge } = built;
    await agent.start(call, bridge, AbortSignal.timeout(5000));
    const s = await bot.waitForSession(0);
    const ready = await s.waitForMessage('client-ready');
    expect(ready['data']).toMatchObject({ about: { platform_details: { customParameters: { lang: 'de' } } } });

    agent.sendMessage('Offer the lunch menu.', { interrupt: true });
    expect((await s.waitForMessage('send-text'))['data']).toEqual({
      content: 'Offer the lunch menu.',
      options: { run_immediately: true, audio_response: true },
    });
    agent.notify({ type: 'dtmf', digit: 'A' });
    expect((await s.waitForMessage('client-message', 'dtmf'))['data']).toEqual({ t: 'dtmf', d: { digit: 'A' } });

    // 48 kHz stereo, left 1000 and right 3000: 100 ms of mono at the route's 16 kHz, at their mean.
    s.send({ kind: 'audio', audio: stereo(48000, 100, 1000, 3000), sampleRate: 48000, numChannels: 2 });
    await waitFor(() => bridge.playout.bufferedMs >= 90, 5000, 'bot audio queued');
    const frame = bridge.playout.take()!;
    const mid = pcmSamples(frame.data).subarray(200, 300);
    expect(Math.min(...mid)).toBeGreaterThanOrEqual(1990);
    expect(Math.max(...mid)).toBeLessThanOrEqual(2010);

    // The bot interrupts itself: playout is flushed; the notice says so and no interruption frame goes back.
    s.send({ kind: 'interruption' });
    const notice = await s.waitForMessage('client-message', 'interruption');
    expect(notice['data']).toMatchObject({ d: { initiator: 'bot', playedMs: 20 } });
    expect(bridge.playout.bufferedMs).toBe(0);
    expect(s.frames.some((f) => f.kind === 'interruption')).toBe(false);
    // Its next answer plays at once (nothing is waiting for a confirmation).
    s.send({ kind: 'audio', audio: Buffer.alloc(640), sampleRate: 16000, numChannels: 1 });
    await waitFor(() => bridge.playout.bufferedMs >= 20, 5000, 'the next answer queued');

    // The bot going away mid-call fails the agent.
    await s.close(1011, 'pipeline error');
    await waitFor(() => bridge.failures.length > 0, 5000, 'the failure');
    expect(bridge.failures.map((e) => e.code)).toEqual(['AGENT_DISCONNECTED']);
  });
});
