import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { ulawDecode } from '../../src/audio/g711.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { startTwilioDialectAgent, type TwilioDialectAgent } from '../../src/simulator/agents/twilio-dialect-agent.js';
import type { AriHarness } from '../support/ari-harness.js';
import {
  onlyStream,
  rtpEnv,
  rtpRoutes,
  rtpVoicedMs,
  startRtpHarness,
  voicedMsOf,
  voicedSpeech,
} from '../support/rtp-harness.js';
import {
  callerSaying,
  onlySession,
  type RealtimeHarness,
  speechSamples,
  startRealtimeHarness,
} from '../support/realtime-harness.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'rtp-agents-secret';
/** Speech ("Hello, I would like a table.") from 1.000 s to 2.476 s, silence around it (1476 ms voiced at most). */
const ONSET = {
  ulaw: fileURLToPath(new URL('../fixtures/speech/onset-8k.wav', import.meta.url)),
  slin16: fileURLToPath(new URL('../fixtures/speech/onset-16k.wav', import.meta.url)),
};
const FORMATS = ['ulaw', 'slin16'] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function expectReleased(h: AriHarness): Promise<void> {
  await waitFor(() => h.app.registry.size === 0, 10_000, 'no live calls');
  await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, 10_000, 'nothing left');
  await waitFor(() => h.app.rtpPorts.inUse === 0, 5000, 'RTP port released');
  expect(onlyStream(h).dropped).toEqual({ payloadType: 0, source: 0, invalid: 0, rtcp: 0 });
}

describe('native agent over RTP', () => {
  let h: AriHarness | undefined;
  let agent: NativeEchoAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  for (const format of FORMATS) {
    it(`${format}: caller speech reaches the agent, barge-in cuts agent speech where it was heard (±20 ms), DTMF, ${format === 'ulaw' ? 'caller' : 'agent'} hangup`, async () => {
      const speech = Buffer.from(voicedSpeech(16000, 5000).buffer);
      agent = await startNativeEchoAgent({ mode: 'burst', secret: SECRET, audio: speech });
      h = await startRtpHarness(
        { AGENT_SECRET: SECRET, VAD: 'silero' },
        { routesJson: rtpRoutes({ kind: 'websocket', url: agent.url, secretEnv: 'AGENT_SECRET' }, format) },
      );
      const caller = await h.sim.placeInboundCall({ audio: { type: 'wav', path: ONSET[format] } });
      const s = await agent.waitForSession(0);
      const speaking = await s.waitForEvent('speaking', () => true, 20_000);
      expect(speaking.atMs).toBeGreaterThanOrEqual(950);
      expect(speaking.atMs).toBeLessThanOrEqual(1500);
      const interruption = await s.waitForEvent('interruption', () => true, 10_000);
      expect(interruption.totalMs).toBe(5000);
      expect(interruption.playedMs).toBeGreaterThan(500);
      expect(interruption.playedMs).toBeLessThan(5000);
      // Frames in flight land, then what the UnicastRTP channel got of the agent's speech matches what the agent
      // was told was heard, and nothing more of it comes.
      await sleep(300);
      const stream = onlyStream(h);
      const heard = rtpVoicedMs(stream);
      expect(Math.abs(heard - interruption.playedMs)).toBeLessThanOrEqual(20);
      await sleep(300);
      expect(rtpVoicedMs(stream)).toBe(heard);
      // The caller's speech reached the agent whole (16 kHz agent audio; 1.476 s of speech in the fixture).
      await waitFor(() => voicedMsOf(pcmSamples(s.receivedAudio()), 16000) >= 1200, 5000, 'caller speech at the agent');
      expect(voicedMsOf(pcmSamples(s.receivedAudio()), 16000)).toBeLessThanOrEqual(1600);
      caller.sendDtmf('5');
      const dtmf = await s.waitForEvent('dtmf', () => true, 5000);
      expect(dtmf.digit).toBe('5');
      const session = onlySession(h);
      expect(session.bridge!.stats.bargeIns).toBe(1);
      if (format === 'ulaw') {
        await caller.hangup();
        await session.done;
        expect(session.endSummary).toMatchObject({ reason: 'caller_hangup' });
      } else {
        s.sendCommand({ command: 'hangup' });
        await session.done;
        expect(session.endSummary).toMatchObject({ reason: 'agent_hangup' });
        await caller.ended;
      }
      await expectReleased(h);
      expect(s.events.filter((e) => e.event === 'dtmf')).toHaveLength(1);
    }, 40_000);
  }
});

describe('Twilio dialect agent over RTP', () => {
  let h: AriHarness | undefined;
  let agent: TwilioDialectAgent | undefined;
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    h = undefined;
    agent = undefined;
  });

  for (const format of FORMATS) {
    it(`${format}: μ-law both ways, marks follow what was sent, a clear stops playout where the marks stopped (±20 ms), DTMF, ${format === 'ulaw' ? 'caller' : 'agent'} hangup`, async () => {
      // 3 s of real speech, sent at once as 150 chunks each followed by a mark.
      agent = await startTwilioDialectAgent({ mode: 'play', audio: Buffer.from(voicedSpeech(8000, 3000).buffer) });
      h = await startRtpHarness(
        {},
        { routesJson: rtpRoutes({ kind: 'twilio', url: agent.url }, format, { bargeIn: { enabled: false } }) },
      );
      const caller = await h.sim.placeInboundCall({ audio: { type: 'wav', path: ONSET[format] } });
      const s = await agent.waitForSession(0);
      await s.waitForMessage('start');
      await s.waitForMarkAcks(50, 15_000);
      const stream = onlyStream(h);
      const result = s.speechStarted();
      expect(result.cleared).toBe(true);
      const ackedBeforeClear = s.ackedMarks.length;
      await s.waitForMarkAcks(150, 10_000);
      await sleep(300);
      const heard = rtpVoicedMs(stream);
      // What Asterisk got of the speech is what the marks said had played when the clear came.
      expect(Math.abs(heard - ackedBeforeClear * 20)).toBeLessThanOrEqual(20);
      expect(heard).toBeLessThan(3000);
      await sleep(200);
      expect(rtpVoicedMs(stream)).toBe(heard);
      // The caller's speech reached the agent as μ-law.
      await s.waitForInboundBytes(8000 * 2.6, 15_000);
      const inbound = Buffer.concat(
        s.received.flatMap((m) => (m.event === 'media' ? [Buffer.from(m.media.payload, 'base64')] : [])),
      );
      const callerMs = voicedMsOf(ulawDecode(inbound), 8000);
      expect(callerMs).toBeGreaterThanOrEqual(1200);
      expect(callerMs).toBeLessThanOrEqual(1600);
      caller.sendDtmf('9');
      const dtmf = await s.waitForMessage('dtmf');
      expect(dtmf.dtmf.digit).toBe('9');
      const session = onlySession(h);
      if (format === 'ulaw') {
        await caller.hangup();
        await s.waitForMessage('stop');
        await session.done;
        expect(session.endSummary).toMatchObject({ reason: 'caller_hangup' });
      } else {
        // The dialect has no hangup message: the agent closing its stream ends the call (as a failed agent, with
        // the route's fallback), and the caller is hung up.
        await s.close(1000, 'done');
        await session.done;
        expect(session.endSummary).toMatchObject({ reason: 'agent_failed' });
        await caller.ended;
      }
      await expectReleased(h);
    }, 40_000);
  }
});

describe('OpenAI Realtime agent over RTP', () => {
  let rt: RealtimeHarness | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  const LONG_GREETING =
    'Welcome to the restaurant. Today we have a long list of specials that I will now read to you in full.';

  for (const format of FORMATS) {
    it(`${format}: the truncate carries what the UnicastRTP channel got (±20 ms), the caller's turn is answered, DTMF, ${format === 'ulaw' ? 'caller' : 'agent'} hangup`, async () => {
      const rate = format === 'ulaw' ? 8000 : 16000;
      rt = await startRealtimeHarness({
        route: { media: 'rtp', audioFormat: format },
        env: rtpEnv(),
        agent: { greeting: 'Read the specials.', ...(format === 'slin16' ? { builtinTools: { hangup: true } } : {}) },
        sim: {
          script: ({ index }) =>
            index === 0
              ? { audioMs: 8000, transcript: LONG_GREETING }
              : format === 'slin16'
                ? {
                    audioMs: 600,
                    transcript: 'Of course, goodbye.',
                    functionCalls: [{ name: 'hangup', arguments: { reason: 'caller done' } }],
                  }
                : { audioMs: 600, transcript: 'Of course.' },
        },
      });
      const { h, sim } = rt;
      const speech = speechSamples(rate === 8000 ? 'hello-8k' : 'hello-16k');
      const caller = await h.sim.placeInboundCall({
        audio: { type: 'samples', samples: callerSaying(speech, rate, 2200) },
      });
      const s = await sim.waitForSession(0);
      await waitFor(() => h.app.registry.size === 1 && onlySession(h).state === 'active');
      const session = onlySession(h);
      if (format === 'ulaw') expect(s.state.outputFormat.type).toBe('audio/pcmu');
      const truncation = await s.waitFor(() => s.truncations[0], 'a truncate', 20_000);
      expect(truncation.accepted).toBe(true);
      expect(truncation.audioEndMs).toBeGreaterThan(500);
      expect(truncation.audioEndMs).toBeLessThan(4000);
      await sleep(300);
      const stream = onlyStream(h);
      expect(Math.abs(rtpVoicedMs(stream, 200) - truncation.audioEndMs)).toBeLessThanOrEqual(20);
      caller.sendDtmf('3');
      await waitFor(
        () => h.logs.find('DTMF on a realtime call (not forwarded to the model)').some((l) => l.digit === '3'),
        5000,
        'DTMF at the agent',
      );
      // The caller's turn (real speech over RTP) is answered.
      await s.waitFor(() => (s.responses.length >= 2 ? true : undefined), 'an answer after the barge-in', 15_000);
      if (format === 'ulaw') {
        await caller.hangup();
        await session.done;
        expect(session.endSummary).toMatchObject({ reason: 'caller_hangup' });
      } else {
        await session.done;
        expect(session.endSummary).toMatchObject({ reason: 'agent_hangup' });
        await caller.ended;
      }
      await expectReleased(h);
    }, 45_000);
  }
});
