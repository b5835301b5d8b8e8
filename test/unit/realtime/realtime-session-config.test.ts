import { describe, expect, it } from 'vitest';
import { PCM8K, PCM16K } from '../../../src/audio/format.js';
import {
  callOverrides,
  chooseRealtimeFormat,
  mergeSessionConfig,
  planSession,
} from '../../../src/calls/agents/realtime-session-config.js';
import { type RealtimeAgentConfig, realtimeAgentSchema } from '../../../src/config/realtime-route.js';
import { isAppError } from '../../../src/errors/app-error.js';

function agent(extra: Record<string, unknown> = {}): RealtimeAgentConfig {
  return realtimeAgentSchema.parse({ kind: 'openai-realtime', url: 'ws://127.0.0.1:1/v1/realtime', ...extra });
}

function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('no error');
}

describe('Realtime route schema', () => {
  it('defaults: OpenAI URL and model, GA, auto audio, server barge-in, no built-ins', () => {
    const a = realtimeAgentSchema.parse({ kind: 'openai-realtime', secretEnv: 'OPENAI_API_KEY' });
    expect(a).toMatchObject({
      url: 'wss://api.openai.com/v1/realtime',
      model: 'gpt-realtime',
      apiVersion: 'ga',
      audio: 'auto',
      bargeIn: 'server',
      builtinTools: { hangup: false, sendDtmf: false },
      fillers: {},
      reconnect: { maxAttempts: 4, initialMs: 250, maxMs: 4000 },
      session: {},
    });
  });

  it('refuses a GA temperature, MCP on beta, duplicate tool names, and api.openai.com without a key', () => {
    const issues = (v: Record<string, unknown>) =>
      realtimeAgentSchema
        .safeParse({ kind: 'openai-realtime', url: 'ws://x/rt', ...v })
        .error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(issues({ session: { temperature: 0.8 } })).toEqual(['session.temperature']);
    expect(issues({ apiVersion: 'beta', session: { temperature: 0.8 } })).toEqual([]);
    expect(
      issues({ apiVersion: 'beta', session: { mcpServers: [{ server_label: 'x', server_url: 'https://m/' }] } }),
    ).toEqual(['session.mcpServers']);
    expect(issues({ builtinTools: { hangup: true }, session: { tools: [{ name: 'hangup' }] } })).toEqual([
      'session.tools.0.name',
    ]);
    expect(issues({ url: 'wss://api.openai.com/v1/realtime' })).toEqual(['secretEnv']);
    expect(issues({ session: { unknownKey: 1 } })).toEqual(['session']);
  });
});

describe('Realtime session config', () => {
  it('merges defaults ← route ← call, a later key replacing the earlier value whole', () => {
    expect(
      mergeSessionConfig(
        { turnDetection: { type: 'server_vad', silenceDurationMs: 300 }, voice: 'alloy' },
        { turnDetection: { type: 'semantic_vad', eagerness: 'low' }, instructions: 'route' },
        { instructions: 'call', voice: undefined },
      ),
    ).toEqual({ turnDetection: { type: 'semantic_vad', eagerness: 'low' }, voice: 'alloy', instructions: 'call' });
  });

  it('reads the call overrides from customParameters and refuses malformed ones', () => {
    expect(callOverrides({})).toEqual({ session: {}, greeting: undefined });
    expect(
      callOverrides({ 'realtime.session': '{"voice":"cedar","instructions":"VIP caller"}', 'realtime.greeting': ' ' }),
    ).toEqual({ session: { voice: 'cedar', instructions: 'VIP caller' }, greeting: null });
    expect(configErrorOf(() => callOverrides({ 'realtime.session': '{nope' }))).toMatch(
      /^REALTIME_CONFIG_INVALID: .*not JSON/,
    );
    expect(configErrorOf(() => callOverrides({ 'realtime.session': '{"speed":9}' }))).toMatch(/speed/);
  });

  it('chooses μ-law for 8 kHz legs and 24 kHz PCM otherwise, unless the route says', () => {
    expect(chooseRealtimeFormat('auto', PCM8K)).toEqual({ type: 'audio/pcmu' });
    expect(chooseRealtimeFormat('auto', PCM16K)).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(chooseRealtimeFormat('pcm24k', PCM8K)).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(chooseRealtimeFormat('pcma', PCM16K)).toEqual({ type: 'audio/pcma' });
  });

  it('plans a session: built-ins, route tools, session tools and MCP servers, the greeting after the instructions', () => {
    const plan = planSession(
      agent({
        greeting: 'Say hello.',
        builtinTools: {
          hangup: true,
          transfer: {
            destinations: { sales: { context: 'from-internal', extension: '200', description: 'sales team' } },
          },
        },
        session: {
          instructions: 'You are Ava.',
          tools: [{ name: 'lookup', parameters: { type: 'object' } }],
          mcpServers: [{ server_label: 'crm', server_url: 'https://mcp.example/sse', require_approval: 'never' }],
          turnDetection: { type: 'server_vad', interruptResponse: false },
        },
        fillers: { lookup: 'One moment.' },
      }),
      {},
      { type: 'audio/pcmu' },
      [{ name: 'book_table', description: 'Books a table.' }],
    );
    const tools = plan.body.tools as Array<{ type: string; name?: string; server_label?: string }>;
    expect(tools.map((t) => t.name ?? t.server_label)).toEqual(['hangup', 'transfer', 'book_table', 'lookup', 'crm']);
    expect(tools[4]).toEqual({
      type: 'mcp',
      server_label: 'crm',
      server_url: 'https://mcp.example/sse',
      require_approval: 'never',
    });
    expect(JSON.stringify(tools[1])).toContain('"enum":["sales"]');
    expect(plan.greeting).toBe('You are Ava.\n\nSay hello.');
    expect(plan.interruptOnServerSpeech).toBe(false);
    expect([...plan.builtins.keys()]).toEqual(['hangup', 'transfer']);
    expect(plan.fillers.get('lookup')).toBe('One moment.');
    expect(plan.body.audio).toMatchObject({ input: { transcription: { model: 'gpt-4o-mini-transcribe' } } });
  });

  it('tells the model the answering-machine verdict in its instructions; a machine with a message gets a first turn', () => {
    const human = planSession(
      agent({ session: { instructions: 'You are Ava.' }, greeting: 'Say hello.' }),
      {},
      { type: 'audio/pcmu' },
      [],
      {
        mode: 'adapter',
        result: 'human',
        cause: 'HUMAN',
        decisionMs: 1600,
      },
    );
    expect(human.body.instructions).toMatch(
      /^You are Ava\.\n\nCall context: answering-machine detection \(adapter\) result: human/,
    );
    expect(human.greeting).toContain('result: human');
    expect(human.greeting?.endsWith('Say hello.')).toBe(true);
    const machine = planSession(agent(), {}, { type: 'audio/pcmu' }, [], {
      mode: 'asterisk',
      result: 'machine',
      cause: 'LONGGREETING',
      beep: true,
    });
    expect(machine.body.instructions).toContain('its beep has sounded');
    expect(machine.greeting).toContain('Leave your voicemail message now.');
    const none = planSession(agent(), {}, { type: 'audio/pcmu' }, []);
    expect(none.greeting).toBeUndefined();
  });

  it('applies the call overrides last, and refuses a route tool named like a session tool', () => {
    const plan = planSession(
      agent({ session: { voice: 'alloy' }, greeting: 'Hi.' }),
      {
        'realtime.session': JSON.stringify({ voice: 'cedar', transcription: false, turnDetection: { type: 'none' } }),
        'realtime.greeting': '',
      },
      { type: 'audio/pcmu' },
      [],
    );
    expect(plan.body.audio).toMatchObject({
      input: { transcription: null, turn_detection: null },
      output: { voice: 'cedar' },
    });
    expect(plan.greeting).toBeUndefined();
    expect(plan.interruptOnServerSpeech).toBe(false);
    expect(
      configErrorOf(() =>
        planSession(agent({ session: { tools: [{ name: 'dup' }] } }), {}, { type: 'audio/pcmu' }, [{ name: 'dup' }]),
      ),
    ).toMatch(/two tools are named "dup"/);
  });
});
