import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../../src/audio/format.js';
import { ulawDecode, ulawEncode } from '../../../src/audio/g711.js';
import {
  parseTwilioAgentMessage,
  randomTwilioSid,
  type TwilioAgentMessage,
  TwilioStreamEncoder,
  type TwilioStreamMessage,
  twilioPayloadToUlaw,
  twilioSidFrom,
} from '../../../src/protocols/twilio/index.js';
import { tonePcm16 } from '../../../src/simulator/agents/tone.js';
import {
  startTwilioDialectAgent,
  type TwilioDialectAgentMode,
} from '../../../src/simulator/agents/twilio-dialect-agent.js';
import { connectAgentSocket } from '../../../src/transports/agent-ws/index.js';
import { eventWaiter } from '../../support/wait.js';

const logger = pino({ level: 'silent' });
const SECRET = 'twilio-agent-test';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The adapter's side of one Twilio-dialect stream. */
async function stream(mode: TwilioDialectAgentMode, audio?: Buffer) {
  const agent = await startTwilioDialectAgent({ mode, secret: SECRET, ...(audio ? { audio } : {}) });
  cleanups.push(() => agent.close());
  const callId = randomUUID();
  const socket = await connectAgentSocket<TwilioStreamMessage>({
    url: `${agent.url}media`,
    secret: SECRET,
    callId,
    connectTimeoutMs: 10_000,
    signal: new AbortController().signal,
    logger,
  });
  cleanups.push(() => socket.close());
  const received: TwilioAgentMessage[] = [];
  const waiter = eventWaiter();
  socket.on('text', (text) => {
    const parsed = parseTwilioAgentMessage(text);
    if (!parsed.ok) throw new Error(`agent sent an invalid message: ${parsed.error.message}`);
    received.push(parsed.message);
    waiter.notify();
  });
  const until = (check: () => boolean): Promise<void> => waiter.until(check);
  const encoder = new TwilioStreamEncoder({
    streamSid: randomTwilioSid('MZ'),
    callSid: twilioSidFrom('CA', callId),
    accountSid: twilioSidFrom('AC', 'test-account'),
    customParameters: { route: 'twilio-test' },
  });
  socket.sendJson(encoder.connected());
  socket.sendJson(encoder.start());
  return { agent, socket, encoder, received, until, session: await agent.waitForSession(0) };
}

describe('Twilio-dialect example agent', () => {
  it('keeps the streamSid, echoes media each followed by a mark, and pops marks as they are acknowledged', async () => {
    const s = await stream('echo');
    expect(s.session.handshake.verified).toBe(true);
    const payloads: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const media = s.encoder.media(Buffer.alloc(160, 0x10 + i));
      payloads.push(media.media.payload);
      s.socket.sendJson(media);
    }
    await s.until(() => s.received.length >= 10);
    expect(s.received.map((m) => m.event)).toEqual(Array.from({ length: 5 }, () => ['media', 'mark']).flat());
    expect(s.received.every((m) => m.streamSid === s.encoder.streamSid)).toBe(true);
    expect(s.received.flatMap((m) => (m.event === 'media' ? [m.media.payload] : []))).toEqual(payloads);
    const marks = s.received.flatMap((m) => (m.event === 'mark' ? [m.mark.name] : []));
    expect(s.session.markQueue).toEqual(marks);
    expect(s.session.latestMediaTimestamp).toBe(80);

    // The media side acknowledges the first two marks once their audio has played.
    s.socket.sendJson(s.encoder.mark(marks[0]!));
    s.socket.sendJson(s.encoder.mark(marks[1]!));
    await s.session.waitForMarkAcks(2);
    expect(s.session.markQueue).toEqual(marks.slice(2));

    // Speech starts while three marks are outstanding: the agent clears and forgets them.
    const result = s.session.speechStarted();
    expect(result).toMatchObject({ cleared: true, droppedMarks: marks.slice(2) });
    expect(result.elapsedMs).toBe(80);
    await s.until(() => s.received.some((m) => m.event === 'clear'));
    expect(s.received.at(-1)).toEqual({ event: 'clear', streamSid: s.encoder.streamSid });
    expect(s.session.markQueue).toEqual([]);
    // With nothing outstanding, a second trigger sends nothing.
    expect(s.session.speechStarted()).toEqual({ cleared: false, droppedMarks: [] });

    s.socket.sendJson(s.encoder.stop());
    await s.session.waitForMessage('stop');
    expect(s.session.eventNames).toEqual([
      'connected',
      'start',
      'media',
      'media',
      'media',
      'media',
      'media',
      'mark',
      'mark',
      'stop',
    ]);
    const start = await s.session.waitForMessage('start');
    expect(start.start.customParameters).toEqual({ route: 'twilio-test' });
    expect(s.session.invalidFrames).toEqual([]);
  });

  it('plays a buffer as 20 ms μ-law chunks, each followed by a mark', async () => {
    const tone = tonePcm16(8000, 200, 440);
    const s = await stream('play', tone);
    await s.until(() => s.received.length >= 20);
    const media = s.received.flatMap((m) => (m.event === 'media' ? [twilioPayloadToUlaw(m.media.payload)] : []));
    expect(media).toHaveLength(10);
    expect(media.every((chunk) => chunk.length === 160)).toBe(true);
    expect(Buffer.concat(media)).toEqual(ulawEncode(pcmSamples(tone)));
    const decoded = ulawDecode(Buffer.concat(media));
    expect(decoded).toHaveLength(1600);
    expect(s.received.filter((m) => m.event === 'mark')).toHaveLength(10);
  });

  it('refuses a connection without the adapter signature', async () => {
    const agent = await startTwilioDialectAgent({ mode: 'echo', secret: SECRET });
    cleanups.push(() => agent.close());
    const err = await connectAgentSocket({
      url: agent.url,
      callId: 'c',
      connectTimeoutMs: 10_000,
      signal: new AbortController().signal,
      logger,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AGENT_AUTH_REJECTED', status: 401 });
    expect(agent.rejectedHandshakes).toHaveLength(1);
  });
});
