import { describe, expect, it } from 'vitest';
import { runBuiltinTool } from '../../../src/calls/agents/realtime-builtin-tools.js';
import { builtinToolDefinition } from '../../../src/calls/agents/realtime-session-config.js';
import {
  BUILTIN_TOOL_NAMES,
  builtinFunctionDefinition,
  builtinToolArgumentSchemas,
  parseBuiltinToolArguments,
} from '../../../src/calls/builtin-tools.js';
import type { AgentAction } from '../../../src/calls/voice-agent.js';
import { runTool } from '../../../src/jobs/tool-runner.js';

const destinations = {
  sales: { context: 'from-internal', extension: '200', description: 'the sales team' },
  desk: { endpoint: 'PJSIP/desk' },
};

function realtimeContext() {
  const actions: AgentAction[] = [];
  return {
    actions,
    ctx: {
      act: async (a: AgentAction) => {
        actions.push(a);
      },
      parentDone: Promise.resolve(),
      playoutDrained: async () => {},
    },
  };
}

function jobContext() {
  const commands: unknown[] = [];
  return {
    commands,
    ctx: {
      control: {
        execute: async (command: unknown) => {
          commands.push(command);
          return { accepted: true };
        },
      } as never,
      countRetry: async () => {},
      controlTimeoutMs: 1000,
    },
  };
}

describe('built-in tools are defined once', () => {
  it('tell the model exactly the arguments that are parsed', () => {
    for (const name of BUILTIN_TOOL_NAMES) {
      const def = builtinFunctionDefinition(name);
      expect(def).toMatchObject({
        type: 'function',
        name,
        parameters: { type: 'object', additionalProperties: false },
      });
      expect(def.description.length).toBeGreaterThan(0);
      const properties = Object.keys((def.parameters as { properties: object }).properties);
      expect(properties).toEqual(Object.keys(builtinToolArgumentSchemas[name].shape));
    }
    expect(builtinFunctionDefinition('send_dtmf').parameters).toMatchObject({
      required: ['digits'],
      properties: { digits: { type: 'string', pattern: '^[0-9A-Da-d*#]{1,64}$' } },
    });
    expect(builtinFunctionDefinition('transfer').parameters).toMatchObject({ required: ['target'] });
  });

  it('the Realtime transfer offers the same `target` field, limited to the route destinations', () => {
    const def = builtinToolDefinition({ name: 'transfer', destinations });
    expect(def.parameters).toEqual({
      type: 'object',
      properties: { target: { type: 'string', enum: ['sales', 'desk'], description: 'The destination name.' } },
      required: ['target'],
      additionalProperties: false,
    });
    expect(def.description).toContain('sales (the sales team), desk');
    expect(parseBuiltinToolArguments('transfer', { target: 'sales' })).toEqual({ ok: true, args: { target: 'sales' } });
    expect(builtinToolDefinition({ name: 'hangup' })).toEqual(builtinFunctionDefinition('hangup'));
  });

  it('parse arguments with messages naming the field, ignoring unknown keys', () => {
    expect(parseBuiltinToolArguments('send_dtmf', { digits: '12#', extra: 1 })).toEqual({
      ok: true,
      args: { digits: '12#' },
    });
    const bad = parseBuiltinToolArguments('send_dtmf', { digits: 'no' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/^digits: /);
    expect(parseBuiltinToolArguments('hangup', undefined)).toEqual({ ok: true, args: {} });
    expect(parseBuiltinToolArguments('transfer', { destination: 'sales' }).ok).toBe(false);
  });
});

describe('transfer takes { target } in the Realtime agent and in tool-call jobs', () => {
  it('Realtime: target names a route destination', async () => {
    const { actions, ctx } = realtimeContext();
    const spec = { name: 'transfer' as const, destinations };
    expect(await runBuiltinTool(spec, JSON.stringify({ target: 'sales' }), ctx)).toEqual({
      output: JSON.stringify({ ok: true }),
      respond: false,
    });
    await runBuiltinTool(spec, JSON.stringify({ target: 'desk' }), ctx);
    expect(actions).toEqual([
      { type: 'transfer', target: { context: 'from-internal', extension: '200' } },
      { type: 'transfer', target: { endpoint: 'PJSIP/desk' } },
    ]);
  });

  it('Realtime: an unknown name, an inherited property name or the old `destination` field is refused', async () => {
    const { actions, ctx } = realtimeContext();
    const spec = { name: 'transfer' as const, destinations };
    for (const args of [{ target: 'nobody' }, { target: 'toString' }, { destination: 'sales' }]) {
      const outcome = await runBuiltinTool(spec, JSON.stringify(args), ctx);
      expect(outcome.respond).toBe(true);
      expect(JSON.parse(outcome.output)).toEqual({
        ok: false,
        error: { code: 'TOOL_INVALID_ARGUMENTS', message: 'target must be one of: sales, desk' },
      });
    }
    expect(actions).toEqual([]);
  });

  it('tool-call jobs: target and context become the call-control transfer command', async () => {
    const { commands, ctx } = jobContext();
    const def = { kind: 'builtin' as const, name: 'transfer' as const };
    const call = { callId: 'c1', toolCallId: 't1', name: 'transfer' };
    await runTool(def, { ...call, arguments: { target: '200', context: 'from-internal' } }, ctx);
    await runTool(def, { ...call, arguments: { target: 'PJSIP/desk' } }, ctx);
    expect(commands).toEqual([
      { type: 'transfer', callId: 'c1', target: '200', context: 'from-internal' },
      { type: 'transfer', callId: 'c1', target: 'PJSIP/desk' },
    ]);
    expect(await runTool(def, { ...call, arguments: { destination: '200' } }, ctx)).toMatchObject({
      status: 'failed',
      errorCode: 'TOOL_INVALID_ARGUMENTS',
    });
    expect(commands).toHaveLength(2);
  });

  it('tool-call jobs: hangup, send_dtmf and play map onto their commands', async () => {
    const { commands, ctx } = jobContext();
    const run = (name: 'hangup' | 'send_dtmf' | 'play', args: unknown) =>
      runTool({ kind: 'builtin', name }, { callId: 'c1', toolCallId: name, name, arguments: args }, ctx);
    await run('hangup', { reason: 'done' });
    await run('hangup', undefined);
    await run('send_dtmf', { digits: '1#' });
    await run('play', { media: 'sound:beep' });
    expect(commands).toEqual([
      { type: 'hangup', callId: 'c1', reason: 'done' },
      { type: 'hangup', callId: 'c1' },
      { type: 'dtmf', callId: 'c1', digits: '1#' },
      { type: 'play', callId: 'c1', media: ['sound:beep'] },
    ]);
  });
});
