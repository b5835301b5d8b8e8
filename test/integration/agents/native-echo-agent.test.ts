import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentCommand } from '../../../src/protocols/agent/commands.js';
import type { AdapterEvent, IncomingEvent } from '../../../src/protocols/agent/events.js';
import { parseAgentMessage } from '../../../src/protocols/agent/parse.js';
import { type NativeEchoAgentOptions, startNativeEchoAgent } from '../../../src/simulator/agents/native-echo-agent.js';
import { type AgentSocket, connectAgentSocket } from '../../../src/transports/agent-ws/index.js';
import { eventWaiter } from '../../support/wait.js';

const logger = pino({ level: 'silent' });
const SECRET = 'native-echo-agent-test';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Received = { kind: 'command'; command: AgentCommand } | { kind: 'binary'; data: Buffer };

/** The adapter's side of one call: a signed connection, with everything the agent sends recorded in order. */
async function call(agentOptions: NativeEchoAgentOptions, sampleRate: 8000 | 16000 = 8000) {
  const agent = await startNativeEchoAgent({ secret: SECRET, ...agentOptions });
  cleanups.push(() => agent.close());
  const callId = randomUUID();
  const socket: AgentSocket<AdapterEvent> = await connectAgentSocket<AdapterEvent>({
    url: agent.url,
    secret: SECRET,
    callId,
    connectTimeoutMs: 10_000,
    signal: new AbortController().signal,
    logger,
  });
  cleanups.push(() => socket.close());
  const received: Received[] = [];
  const waiter = eventWaiter();
  const changed = waiter.notify;
  socket.on('text', (text) => {
    const parsed = parseAgentMessage(text);
    if (!parsed.ok) throw new Error(`agent sent an invalid command: ${parsed.error.message}`);
    received.push({ kind: 'command', command: parsed.command });
    changed();
  });
  socket.on('binary', (data) => {
    received.push({ kind: 'binary', data });
    changed();
  });
  const until = (check: () => boolean): Promise<void> => waiter.until(check);
  const commands = (): AgentCommand[] => received.flatMap((r) => (r.kind === 'command' ? [r.command] : []));
  const hasCommand = (predicate: (c: AgentCommand) => boolean) => () => commands().some(predicate);
  const ts = (): number => Date.now();
  const incoming: IncomingEvent = {
    event: 'incoming',
    callId,
    timestamp: ts(),
    protocolVersion: 1,
    caller: '100',
    callee: '200',
    route: 'test',
    direction: 'inbound',
    channel: { mode: 'audiosocket', audiosocketUuid: callId },
    audio: { encoding: 'pcm16', sampleRate, frameMs: 20 },
    customParameters: {},
  };
  const session = agent.waitForSession(0);
  return { agent, socket, callId, received, until, commands, hasCommand, ts, incoming, session };
}

describe('native example agent', () => {
  it('accepts, then in parrot mode replays what was said, with 300 ms of pre-roll, as one utterance on silence', async () => {
    const c = await call({ mode: 'parrot' });
    c.socket.sendJson(c.incoming);
    await c.until(c.hasCommand((cmd) => cmd.command === 'accept'));
    c.socket.sendJson({ event: 'answer', callId: c.callId, timestamp: c.ts() });
    // 400 ms before `speaking` arrives: the older 100 ms are not repeated, the last 300 ms (the speech's start that
    // the VAD needed before it could report it) are.
    const early = Array.from({ length: 5 }, () => Buffer.alloc(320, 0xee));
    const preRoll = Array.from({ length: 15 }, (_, i) => Buffer.alloc(320, 0x40 + i));
    for (const f of [...early, ...preRoll]) c.socket.sendBinary(f);
    const session = await c.session;
    await session.waitForAudioBytes(20 * 320);
    c.socket.sendJson({ event: 'speaking', callId: c.callId, timestamp: c.ts(), atMs: 20 });
    const said = [...preRoll, ...Array.from({ length: 5 }, (_, i) => Buffer.alloc(320, i + 1))];
    for (const f of said.slice(15)) c.socket.sendBinary(f);
    await session.waitForAudioBytes(25 * 320);
    expect(c.received.filter((r) => r.kind === 'binary')).toHaveLength(0);
    c.socket.sendJson({ event: 'silence', callId: c.callId, timestamp: c.ts(), atMs: 120, durationMs: 500 });
    await c.until(c.hasCommand((cmd) => cmd.command === 'audio.end'));

    const afterAccept = c.received.slice(1);
    const start = afterAccept[0];
    expect(start).toMatchObject({ kind: 'command', command: { command: 'audio.start' } });
    const playId = start?.kind === 'command' && start.command.command === 'audio.start' ? start.command.playId : '';
    const audio = afterAccept.slice(1, -1);
    expect(audio.every((r) => r.kind === 'binary')).toBe(true);
    expect(Buffer.concat(audio.map((r) => (r.kind === 'binary' ? r.data : Buffer.alloc(0))))).toEqual(
      Buffer.concat(said),
    );
    expect(afterAccept.at(-1)).toEqual({ kind: 'command', command: { command: 'audio.end', playId } });
    expect(session.eventNames).toEqual(['incoming', 'answer', 'speaking', 'silence']);
    expect(session.receivedAudio().length).toBe(25 * 320);
  });

  it('in burst mode sends the whole buffer at once as 20 ms frames, then a mark', async () => {
    const audio = Buffer.alloc(16000 * 2, 3); // 1 s at 16 kHz
    const c = await call({ mode: 'burst', audio, marks: true }, 16000);
    c.socket.sendJson(c.incoming);
    c.socket.sendJson({ event: 'answer', callId: c.callId, timestamp: c.ts() });
    await c.until(c.hasCommand((cmd) => cmd.command === 'mark'));
    const binary = c.received.flatMap((r) => (r.kind === 'binary' ? [r.data] : []));
    expect(binary).toHaveLength(50);
    expect(binary.every((b) => b.length === 640)).toBe(true);
    expect(Buffer.concat(binary)).toEqual(audio);
    const cmds = c.commands().map((cmd) => cmd.command);
    expect(cmds).toEqual(['accept', 'audio.start', 'audio.end', 'mark']);
  });

  it('in speaker mode stops the rest of an utterance when interrupted, and speaks again after silence', async () => {
    const c = await call({ mode: 'speaker', audio: Buffer.alloc(8000 * 2 * 30, 5) }); // 30 s: never finishes here
    c.socket.sendJson(c.incoming);
    c.socket.sendJson({ event: 'answer', callId: c.callId, timestamp: c.ts() });
    await c.until(() => c.received.filter((r) => r.kind === 'binary').length >= 3);
    const first = c.commands().find((cmd) => cmd.command === 'audio.start');
    const playId = first?.command === 'audio.start' ? first.playId : 'missing';
    c.socket.sendJson({
      event: 'interruption',
      callId: c.callId,
      timestamp: c.ts(),
      playId,
      playedMs: 40,
      totalMs: 60,
    });
    await c.until(c.hasCommand((cmd) => cmd.command === 'audio.end'));
    const framesOfFirst = c.received.filter((r) => r.kind === 'binary').length;
    expect(framesOfFirst).toBeLessThan(1500);

    c.socket.sendJson({ event: 'silence', callId: c.callId, timestamp: c.ts(), atMs: 900, durationMs: 400 });
    await c.until(() => c.commands().filter((cmd) => cmd.command === 'audio.start').length === 2);
    const starts = c.commands().flatMap((cmd) => (cmd.command === 'audio.start' ? [cmd.playId] : []));
    expect(new Set(starts).size).toBe(2);
  });

  it('in echo mode returns every frame unbracketed', async () => {
    const c = await call({ mode: 'echo' });
    c.socket.sendJson(c.incoming);
    c.socket.sendJson({ event: 'answer', callId: c.callId, timestamp: c.ts() });
    const frames = [Buffer.alloc(320, 1), Buffer.alloc(320, 2), Buffer.alloc(160, 3)];
    for (const f of frames) c.socket.sendBinary(f);
    await c.until(() => c.received.filter((r) => r.kind === 'binary').length === 3);
    expect(c.received.flatMap((r) => (r.kind === 'binary' ? [r.data] : []))).toEqual(frames);
    expect(c.commands()).toEqual([{ command: 'accept' }]);
  });

  it('can reject the call or ask for another rate, and records frames it cannot parse', async () => {
    const rejecting = await call({ mode: 'echo', reject: { reason: 'closed', code: 480 } });
    rejecting.socket.sendJson(rejecting.incoming);
    await rejecting.until(rejecting.hasCommand((cmd) => cmd.command === 'reject'));
    expect(rejecting.commands()).toEqual([{ command: 'reject', reason: 'closed', code: 480 }]);

    const wideband = await call({ mode: 'burst', sampleRate: 16000, audio: Buffer.alloc(640) });
    wideband.socket.sendJson(wideband.incoming);
    await wideband.until(wideband.hasCommand((cmd) => cmd.command === 'accept'));
    expect(wideband.commands()[0]).toEqual({ command: 'accept', audio: { sampleRate: 16000 } });
    const session = await wideband.session;
    expect(session.sampleRate).toBe(16000);

    (wideband.socket as AgentSocket<unknown>).sendJson({ event: 'teleport', callId: wideband.callId });
    const invalid = await session.waitForInvalidFrame();
    expect(invalid.error).toContain('unknown_event');
  });
});
