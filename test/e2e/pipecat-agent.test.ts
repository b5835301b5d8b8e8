import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import type { CallSession } from '../../src/calls/call-session.js';
import { type AgentRunner, startAgentRunner } from '../../src/simulator/agents/agent-runner.js';
import {
  connectPipecatBot,
  type PipecatBot,
  type PipecatBotSession,
  type PipecatBotSpeech,
  startPipecatBot,
} from '../../src/simulator/agents/pipecat-bot.js';
import { checkWebhookSignature } from '../../src/jobs/webhook-signature.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { toneFrames, toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'pipecat-bot-secret';
/** Speech ("Hello, I would like a table.") from 1.000 s to 2.476 s, silence around it. */
const ONSET_WAV = fileURLToPath(new URL('../fixtures/speech/onset-8k.wav', import.meta.url));
const GREETING_TEXT = 'Welcome, how can I help?';

function tonePcm(rate: number, freq: number, ms: number, channels = 1): Buffer {
  const mono = generateTone({ rate, freq, amplitude: 7000, ms });
  if (channels === 1) return Buffer.from(mono.buffer);
  const stereo = new Int16Array(mono.length * 2);
  for (let i = 0; i < mono.length; i++) stereo[2 * i] = stereo[2 * i + 1] = mono[i]!;
  return Buffer.from(stereo.buffer);
}

/**
 * The adapter dials the bot's WebSocket server, or the start hook (at `url`) has a bot dial in; the same with two
 * media workers (the primary pairs the bot's connection with the call and hands it to the call's worker).
 */
type Direction = 'dialled' | 'dial-in' | 'dial-in-workers';

function routes(direction: Direction, url: string, sampleRate: number) {
  const agent =
    direction === 'dialled'
      ? { kind: 'websocket', dialect: 'pipecat', url, secretEnv: 'AGENT_SECRET', sampleRate }
      : { kind: 'dial-in', dialect: 'pipecat', sampleRate, waitMs: 10_000, start: { url, secretEnv: 'AGENT_SECRET' } };
  return { routes: [{ name: 'pipecat', agent }] };
}

/** Transcript turns the call recorded, as its webhooks and the console see them. */
function transcriptsOf(session: CallSession): Array<Record<string, unknown>> {
  const turns: Array<Record<string, unknown>> = [];
  session.on('event', (e: { type: string; data: unknown }) => {
    if (e.type === 'transcript') turns.push(e.data as Record<string, unknown>);
  });
  return turns;
}

const TITLES: Record<Direction, string> = {
  dialled: 'dialled by the adapter (WebSocket server transport)',
  'dial-in': "dialling in at the start hook's connectUrl (WebSocket client transport)",
  'dial-in-workers': "dialling in at the start hook's connectUrl, the call on one of 2 media workers",
};

for (const direction of ['dialled', 'dial-in', 'dial-in-workers'] as const)
  describe(`Pipecat bot (protobuf frames) ${TITLES[direction]}, through the simulated Asterisk`, () => {
    let h: AriHarness | undefined;
    let bot: PipecatBot | undefined;
    let runner: AgentRunner | undefined;
    afterEach(async () => {
      await h?.stop();
      await bot?.close();
      await runner?.close();
      h = undefined;
      bot = undefined;
      runner = undefined;
    });

    async function setup(rate: number, greeting: PipecatBotSpeech, env: Record<string, string> = {}, audio?: object) {
      // The bot's pipeline takes 150 ms to act on an interruption, sending audio meanwhile.
      const botOptions = { secret: SECRET, greeting, interruptionDelayMs: 150 };
      const dialledIn: PipecatBotSession[] = [];
      if (direction === 'dialled') bot = await startPipecatBot(botOptions);
      else
        runner = await startAgentRunner({
          onStart: async (r) => {
            dialledIn.push(await connectPipecatBot({ url: String(r.json?.['connectUrl']) }, botOptions));
          },
        });
      h = await startAriHarness(
        {
          AGENT_SECRET: SECRET,
          ...(direction !== 'dialled' ? { HTTP_ENABLED: 'true' } : {}),
          ...(direction === 'dial-in-workers' ? { MEDIA_WORKERS: '2' } : {}),
          ...env,
        },
        { routesJson: routes(direction, bot?.url ?? runner!.url, rate) },
      );
      const caller = await h.sim.placeInboundCall(audio ? { audio: audio as never } : {});
      if (direction !== 'dialled') await waitFor(() => dialledIn.length === 1, 20_000, 'the bot dialling in');
      const s = bot ? await bot.waitForSession(0) : dialledIn[0]!;
      await waitFor(() => h!.app.registry.size === 1, 10_000, 'the call');
      const session = h.app.registry.list()[0]!;
      if (direction === 'dial-in-workers') expect(h.app.mediaWorkers!.workerOf(session.id)).toBeTypeOf('number');
      return { caller, s, session, turns: transcriptsOf(session) };
    }

    const CASES = [
      // The bot speaks at the route's rate in 25 ms chunks.
      { rate: 16000, bot: { sampleRate: 16000, numChannels: 1, chunkMs: 25 } },
      // The bot speaks 48 kHz stereo in 30 ms chunks: downmixed and resampled to the route's 24 kHz.
      { rate: 24000, bot: { sampleRate: 48000, numChannels: 2, chunkMs: 30 } },
    ] as const;

    for (const c of CASES) {
      it(`at ${c.rate / 1000} kHz: the bot hears the caller, is heard, gets DTMF and the hangup`, async () => {
        const callerTone = generateTone({ rate: 8000, freq: 1000, amplitude: 8000, ms: 2000 });
        const { caller, s, session, turns } = await setup(
          c.rate,
          { ...c.bot, pcm: tonePcm(c.bot.sampleRate, 440, 1500, c.bot.numChannels), text: GREETING_TEXT },
          {},
          { type: 'samples', samples: callerTone },
        );
        if (direction === 'dialled') expect(s.handshake.verified).toBe(true);
        else {
          // The start request was signed with the route's secret, and named the call's dialect and rate.
          const start = runner!.requests[0]!;
          const check = checkWebhookSignature(SECRET, String(start.headers['x-ava-signature']), start.body, 300);
          expect(check.valid).toBe(true);
          expect(start.json).toMatchObject({ event: 'agent.start', dialect: 'pipecat', audio: { sampleRate: c.rate } });
        }
        const ready = await s.waitForMessage('client-ready');
        expect(ready['data']).toMatchObject({
          version: '2.1.0',
          about: {
            platform: 'asterisk',
            platform_details: { route: 'pipecat', audio: { sampleRate: c.rate, numChannels: 1 } },
          },
        });
        // Caller audio: 20 ms audio frames at the route's rate, mono, with the caller's tone intact.
        await s.waitFor(() => (s.audioFrames.length >= 90 ? true : undefined), '90 audio frames', 15_000);
        for (const f of s.audioFrames) {
          expect(f).toMatchObject({ sampleRate: c.rate, numChannels: 1 });
          expect(f.audio.length).toBe((c.rate / 50) * 2);
        }
        const heardByBot = trimSilence(pcmSamples(Buffer.concat(s.audioFrames.map((f) => f.audio))));
        const m = toneWindowMatch(heardByBot, c.rate, 1000, rmsDbfs(callerTone));
        expect(m.share).toBeGreaterThanOrEqual(0.9);
        // The bot's 1.5 s greeting reached Asterisk, paced, as its 440 Hz tone.
        await waitFor(() => toneFrames(h!.media[0]!.received, 8000, 440).length >= 74, 15_000, 'the greeting');
        const greeting = toneFrames(h!.media[0]!.received, 8000, 440);
        expect(greeting.length).toBeLessThanOrEqual(76);
        expect(greeting.at(-1)!.at - greeting[0]!.at).toBeGreaterThanOrEqual(1400);
        const back = trimSilence(pcmSamples(Buffer.concat(greeting.map((f) => f.payload!))));
        expect(
          toneWindowMatch(back, 8000, 440, rmsDbfs(generateTone({ rate: 8000, freq: 440, amplitude: 7000, ms: 100 })))
            .share,
        ).toBeGreaterThanOrEqual(0.9);
        // Once played in full, its words are a whole agent turn.
        await waitFor(() => turns.some((t) => t['role'] === 'agent'), 10_000, 'the agent turn');
        expect(turns.find((t) => t['role'] === 'agent')).toMatchObject({ text: GREETING_TEXT, truncated: false });
        // A caller transcript the bot sends is stored as the caller's turn.
        s.sendRtvi('user-transcription', { text: 'A table for two.', final: true, user_id: '', timestamp: '' });
        await waitFor(() => turns.some((t) => t['role'] === 'caller'), 10_000, 'the caller turn');
        expect(turns.find((t) => t['role'] === 'caller')).toMatchObject({ text: 'A table for two.' });
        caller.sendDtmf('5');
        const dtmf = await s.waitForMessage('dtmf');
        expect(dtmf['data']).toEqual({ buttons: ['5'] });
        await caller.hangup();
        const hangup = await s.waitForMessage('client-message', 'hangup');
        expect(hangup['data']).toMatchObject({ t: 'hangup', d: { initiator: 'caller' } });
        await s.waitForMessage('disconnect-bot');
        await s.waitFor(() => s.closeInfo, 'the close');
        expect(s.closeInfo?.code).toBe(1000);
        expect(s.badFrames).toEqual([]);
        await session.done;
      }, 40_000);

      it(`at ${c.rate / 1000} kHz: barge-in flushes the bot, stops its answer and reports what was heard ±20 ms`, async () => {
        const { s, session, turns } = await setup(
          c.rate,
          { ...c.bot, pcm: tonePcm(c.bot.sampleRate, 440, 5000, c.bot.numChannels), text: GREETING_TEXT },
          { VAD: 'silero' },
          { type: 'wav', path: ONSET_WAV },
        );
        const notice = await s.waitForMessage('client-message', 'interruption', 20_000);
        const d = (notice['data'] as { d: { playedMs: number; totalMs: number; initiator: string } }).d;
        expect(d.initiator).toBe('caller');
        // Speech starts 1.000 s into the caller's audio; the greeting was well under way, and not all played.
        expect(d.playedMs).toBeGreaterThan(500);
        expect(d.playedMs).toBeLessThan(d.totalMs);
        // The bot was told to stop: an interruption frame, which it confirmed.
        expect(s.frames.some((f) => f.kind === 'interruption')).toBe(true);
        // What the simulated Asterisk received of the greeting, ±20 ms (frames in flight land first).
        await new Promise((r) => setTimeout(r, 300));
        const heard = toneFrames(h!.media[0]!.received, 8000, 440).length * 20;
        expect(Math.abs(heard - d.playedMs)).toBeLessThanOrEqual(20);
        // Nothing of the greeting plays after the flush, although the bot had more of it on the way.
        await new Promise((r) => setTimeout(r, 500));
        expect(toneFrames(h!.media[0]!.received, 8000, 440).length * 20).toBe(heard);
        // The barge-in counter of the bridge: here, or the worker's in its per-second report.
        if (direction === 'dial-in-workers')
          await waitFor(() => h!.app.mediaWorkers!.totals().media.bargeIns === 1, 10_000, 'the worker counts it');
        else expect(session.bridge!.stats.bargeIns).toBe(1);
        // The greeting's turn is stored as cut short, with what was heard.
        await waitFor(() => turns.some((t) => t['role'] === 'agent'), 10_000, 'the agent turn');
        expect(turns.find((t) => t['role'] === 'agent')).toMatchObject({ text: GREETING_TEXT, truncated: true });
      }, 40_000);
    }

    it('bad frames from the bot are logged with the call and answered with an error; the call goes on', async () => {
      const { s, session } = await setup(16000, { sampleRate: 16000, pcm: Buffer.alloc(0) });
      await s.waitForMessage('client-ready');
      s.sendRaw(Buffer.from('not protobuf at all'));
      s.sendRaw(Buffer.from('3200', 'hex')); // field 6: a frame kind this adapter does not know
      s.send({ kind: 'audio', audio: Buffer.alloc(640), sampleRate: 22050, numChannels: 1 });
      s.send({ kind: 'audio', audio: Buffer.alloc(641), sampleRate: 16000, numChannels: 1 });
      s.send({ kind: 'message', data: '{broken json' });
      await s.waitFor(
        () => (s.messages.filter((m) => (m['data'] as { t?: string })?.t === 'error').length >= 5 ? true : undefined),
        'five error notices',
      );
      const codes = s.messages
        .filter((m) => (m['data'] as { t?: string })?.t === 'error')
        .map((m) => (m['data'] as { d: { code: string } }).d.code);
      expect(codes).toEqual(['malformed_frame', 'unknown_frame', 'bad_audio', 'bad_audio', 'bad_message']);
      // Logged with the call (a media worker logs to its own stdout, which the harness does not capture).
      if (direction !== 'dial-in-workers') {
        const logged = h!.logs.find('Pipecat bot sent a frame that was ignored');
        expect(logged[0]).toMatchObject({ callId: session.id, code: 'malformed_frame' });
      }
      // The call and the bot's audio go on.
      s.speak({ sampleRate: 16000, pcm: tonePcm(16000, 440, 500), pace: 0 });
      await waitFor(() => toneFrames(h!.media[0]!.received, 8000, 440).length >= 24, 10_000, 'audio after bad frames');
      expect(session.state).toBe('active');
    }, 30_000);
  });
