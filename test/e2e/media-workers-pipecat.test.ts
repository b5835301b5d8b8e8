import { afterEach, describe, expect, it } from 'vitest';
import { generateTone } from '../../src/audio/tone-analysis.js';
import { type PipecatBot, startPipecatBot } from '../../src/simulator/agents/pipecat-bot.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { toneFrames } from '../support/audio-checks.js';
import { waitFor } from '../support/wait.js';

/** Worker processes start under tsx on a shared machine: generous waits, no timing assertions. */
const WAIT_MS = 30_000;
const SECRET = 'pipecat-bot-secret';
const GREETING_TEXT = 'Welcome, how can I help?';

describe('Pipecat bots on media workers', () => {
  let h: AriHarness | undefined;
  let bot: PipecatBot | undefined;
  afterEach(async () => {
    await h?.stop();
    await bot?.close();
    h = undefined;
    bot = undefined;
  }, 60_000);

  it('2 workers: each call hears its bot, and the bot transcripts are recorded on the call in the primary', async () => {
    const pcm = Buffer.from(generateTone({ rate: 16000, freq: 440, amplitude: 7000, ms: 1000 }).buffer);
    bot = await startPipecatBot({
      secret: SECRET,
      greeting: { sampleRate: 16000, numChannels: 1, chunkMs: 20, pcm, text: GREETING_TEXT },
    });
    h = await startAriHarness(
      { AGENT_SECRET: SECRET, MEDIA_WORKERS: '2' },
      {
        routesJson: {
          routes: [
            {
              name: 'pipecat',
              agent: {
                kind: 'websocket',
                dialect: 'pipecat',
                url: bot.url,
                secretEnv: 'AGENT_SECRET',
                sampleRate: 16000,
              },
            },
          ],
        },
      },
    );
    const app = h.app;
    const callers = [];
    const turns = new Map<string, Array<Record<string, unknown>>>();
    for (let i = 0; i < 2; i++) {
      const caller = await h.sim.placeInboundCall({ caller: `+4930300${i}` });
      await waitFor(() => app.registry.get(caller.id)?.state === 'active', WAIT_MS, `call ${i} active`);
      const session = app.registry.get(caller.id)!;
      const list: Array<Record<string, unknown>> = [];
      session.on('event', (e: { type: string; data: unknown }) => {
        if (e.type === 'transcript') list.push(e.data as Record<string, unknown>);
      });
      turns.set(session.id, list);
      callers.push(caller);
    }
    expect(new Set([...turns.keys()].map((id) => app.mediaWorkers!.workerOf(id)))).toEqual(new Set([0, 1]));
    for (let i = 0; i < 2; i++) {
      // The greeting (440 Hz) reached the caller through the worker's bridge.
      await waitFor(() => toneFrames(h!.media[i]!.received, 8000, 440).length >= 40, WAIT_MS, `greeting ${i}`);
    }
    for (const [callId, list] of turns) {
      // Played in full, the greeting's words are the agent's turn, recorded on the call in the primary.
      await waitFor(() => list.some((t) => t['role'] === 'agent'), WAIT_MS, `agent turn of ${callId}`);
      expect(list.find((t) => t['role'] === 'agent')).toMatchObject({ text: GREETING_TEXT, truncated: false });
    }
    const s = await bot.waitForSession(0);
    s.sendRtvi('user-transcription', { text: 'A table for two.', final: true, user_id: '', timestamp: '' });
    await waitFor(
      () => [...turns.values()].some((list) => list.some((t) => t['role'] === 'caller')),
      WAIT_MS,
      'the caller turn',
    );
    const callerTurn = [...turns.values()].flat().find((t) => t['role'] === 'caller');
    expect(callerTurn).toMatchObject({ text: 'A table for two.' });
    for (const c of callers) await c.hangup();
    await waitFor(() => app.registry.size === 0, WAIT_MS, 'no live calls');
  }, 90_000);
});
