import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { AGENT_COMMAND_NAMES, parseAgentMessage } from '../../src/protocols/agent/index.js';
import { parseTwilioAgentMessage } from '../../src/protocols/twilio/parse.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { startTwilioDialectAgent, type TwilioDialectAgent } from '../../src/simulator/agents/twilio-dialect-agent.js';
import { startTestApp } from '../support/app-harness.js';
import { waitFor } from '../support/wait.js';
import { decodePipecatFrame } from '../../src/protocols/pipecat/index.js';
import { connectPipecatBot, type PipecatBotSession } from '../../src/simulator/agents/pipecat-bot.js';
import { hostilePipecatBytes, hostileText, withDiscriminator } from './fuzz-properties.js';

/** Cases per property: 1000 in CI; `scripts/fuzz-long.ts` sets FUZZ_MULTIPLIER for long runs. */
const RUNS = Math.round(1000 * Number(process.env.FUZZ_MULTIPLIER ?? 1));
const TIMEOUT_MS = 120_000 * Math.max(1, Number(process.env.FUZZ_MULTIPLIER ?? 1));

const SECRET = 'fuzz-agent-secret';
/** Valid commands that legitimately end or silence the call are not "bad input"; everything else is sent. */
const ENDS_CALL = new Set(['hangup', 'reject', 'refer', 'mute']);

const nativeText = hostileText(withDiscriminator('command', [...AGENT_COMMAND_NAMES, 'tts'])).filter((t) => {
  const r = parseAgentMessage(t);
  return !(r.ok && ENDS_CALL.has(r.command.command));
});
const twilioText = hostileText(withDiscriminator('event', ['media', 'mark', 'clear', 'start', 'stop']));

/** Polls `cond` on every turn of the event loop (a log line has no event to await), failing after `timeoutMs`. */
async function soon(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}

function tone(): Int16Array {
  return new Int16Array(1600).map((_, i) => Math.round(6000 * Math.sin(i / 4)));
}

describe('a hostile agent on a real call', () => {
  let app: App | undefined;
  let native: NativeEchoAgent | undefined;
  let twilio: TwilioDialectAgent | undefined;
  let call: SimulatedAudioSocketCall | undefined;
  let bot: PipecatBotSession | undefined;
  afterEach(async () => {
    await call?.hangup().catch(() => {});
    await app?.stop(2000);
    await native?.close();
    await twilio?.close();
    await bot?.close();
    app = native = twilio = call = bot = undefined;
  });

  async function dial(port: number): Promise<{ echoed: () => number }> {
    let echoed = 0;
    call = await dialAudioSocket({
      host: '127.0.0.1',
      port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: tone(), loop: true },
      recordReceived: false,
      recordSent: false,
      onFrame: (f) => {
        if (f.kind === 0x10 && f.payload?.some((b) => b !== 0)) echoed += 1;
      },
    });
    return { echoed: () => echoed };
  }

  it(
    `native protocol: every bad message gets an error event back, the call goes on (${RUNS} cases)`,
    async () => {
      native = await startNativeEchoAgent({ mode: 'echo', secret: SECRET, maxRecordedAudioBytes: 0 });
      const started = await startTestApp(
        { AGENT_SECRET: SECRET },
        {
          routesJson: {
            routes: [{ name: 'fuzz', agent: { kind: 'websocket', url: native.url, secretEnv: 'AGENT_SECRET' } }],
          },
        },
      );
      app = started.app;
      const { echoed } = await dial(started.port);
      const session = await native.waitForSession(0);
      await session.waitForEvent('answer');
      await waitFor(() => echoed() > 10, 10_000, 'echo before fuzzing');
      let probe = 0;
      await fc.assert(
        fc.asyncProperty(nativeText, async (text) => {
          const errorsBefore = session.events.filter((e) => e.event === 'error').length;
          session.sendText(text);
          // A probe the adapter must answer with unknown_command: everything sent before it has been handled.
          const name = `probe-${probe++}`;
          session.sendText(JSON.stringify({ command: name }));
          await session.waitForEvent('error', (e) => e.command === name, 10_000);
          const errors = session.events.filter((e) => e.event === 'error').slice(errorsBefore, -1);
          if (!parseAgentMessage(text).ok) {
            expect(errors.length).toBeGreaterThanOrEqual(1);
            expect(['malformed_json', 'unknown_command', 'invalid_command']).toContain(errors[0]!.code);
          }
          expect(app!.registry.size).toBe(1);
        }),
        { numRuns: RUNS },
      );
      const before = echoed();
      await waitFor(() => echoed() > before + 25, 10_000, 'echo after fuzzing');
      expect(call!.state).toBe('open');
      expect(session.closeInfo).toBeUndefined();
    },
    TIMEOUT_MS,
  );

  it(
    `Twilio dialect: every bad message is logged and ignored, the call goes on (${RUNS} cases)`,
    async () => {
      twilio = await startTwilioDialectAgent({ mode: 'echo', maxRecordedMedia: 0 });
      const started = await startTestApp(
        {},
        { routesJson: { routes: [{ name: 'fuzz', agent: { kind: 'twilio', url: twilio.url } }] } },
      );
      app = started.app;
      const logs = started.logs;
      const { echoed } = await dial(started.port);
      const session = await twilio.waitForSession(0);
      await session.waitForMessage('start');
      await waitFor(() => echoed() > 10, 10_000, 'echo before fuzzing');
      const bad = () => logs.find('agent sent a bad Twilio message; ignored').length;
      await fc.assert(
        fc.asyncProperty(twilioText, async (text) => {
          const before = bad();
          session.sendText(text);
          if (!parseTwilioAgentMessage(text).ok) await soon(() => bad() > before, 10_000, 'the bad message logged');
          expect(app!.registry.size).toBe(1);
        }),
        { numRuns: RUNS },
      );
      const before = echoed();
      await waitFor(() => echoed() > before + 25, 10_000, 'echo after fuzzing');
      expect(call!.state).toBe('open');
      expect(session.closeInfo).toBeUndefined();
    },
    TIMEOUT_MS,
  );

  it(
    `Pipecat bot dialled in: every bad frame gets an error notice back, the call goes on (${RUNS} cases)`,
    async () => {
      const token = 'fuzz-agent-token-0123';
      const started = await startTestApp(
        { HTTP_ENABLED: 'true', API_TOKENS: `bot:agent:${token}` },
        {
          routesJson: {
            routes: [
              { name: 'fuzz', agent: { kind: 'dial-in', dialect: 'pipecat', sampleRate: 8000, waitMs: 10_000 } },
            ],
          },
        },
      );
      app = started.app;
      const { echoed } = await dial(started.port);
      const url = `ws://127.0.0.1:${app.http!.address!.port}/v1/agents/ws?route=fuzz&dialect=pipecat`;
      const s = await connectPipecatBot({ url, bearer: token }, { echo: true });
      bot = s;
      await s.waitForMessage('client-ready');
      await waitFor(() => echoed() > 10, 10_000, 'echo before fuzzing');
      const notices = () =>
        s.messages
          .map((m) => (m['data'] as { t?: string; d?: { code: string; message: string } } | undefined) ?? {})
          .filter((d) => d.t === 'error')
          .map((d) => d.d!);
      let probe = 0;
      await fc.assert(
        fc.asyncProperty(hostilePipecatBytes, async (bytes) => {
          const before = notices().length;
          s.sendRaw(bytes);
          // A text message the adapter must answer: everything sent before it has been handled.
          const mark = `a text message (${++probe} characters)`;
          s.sendText('x'.repeat(probe));
          await s.waitFor(() => (notices().some((n) => n.message === mark) ? true : undefined), mark, 10_000);
          const answered = notices().slice(before, -1);
          const decoded = decodePipecatFrame(bytes);
          if (!decoded.ok) expect(answered.map((n) => n.code)).toContain(decoded.error.code);
          expect(app!.registry.size).toBe(1);
        }),
        { numRuns: RUNS },
      );
      const before = echoed();
      await waitFor(() => echoed() > before + 25, 10_000, 'echo after fuzzing');
      expect(call!.state).toBe('open');
      expect(s.closeInfo).toBeUndefined();
    },
    TIMEOUT_MS,
  );
});
