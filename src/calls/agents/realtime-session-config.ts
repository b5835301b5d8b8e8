import { AMD_MESSAGE_GREETING, amdInstructionNote } from '../amd/amd-prompt.js';
import type { AmdResult } from '../amd/amd-result.js';
import type { AudioFormat } from '../../audio/format.js';
import {
  type RealtimeAgentConfig,
  type RealtimeSessionConfig,
  type RealtimeTransferDestination,
  realtimeSessionConfigSchema,
} from '../../config/realtime-route.js';
import { AppError } from '../../errors/app-error.js';
import { builtinFunctionDefinition, transferToDestinationsDefinition } from '../builtin-tools.js';
import { warmTransferDefinition } from './warm-transfer-tool.js';
import { describeZodIssues } from '../../protocols/agent/common.js';
import {
  REALTIME_PCM,
  REALTIME_PCMA,
  REALTIME_PCMU,
  type RealtimeAudioFormat,
} from '../../protocols/realtime/audio-formats.js';
import {
  type EncodedSession,
  encodeSession,
  gaSessionWireSchema,
  type FunctionToolDefinition,
  type RealtimeSessionSettings,
  type RealtimeToolDefinition,
  type ToolChoiceSetting,
  type TurnDetectionSettings,
} from '../../protocols/realtime/session-wire.js';

/** The adapter's session defaults, the first of the three levels (defaults ← route ← call). */
export const REALTIME_SESSION_DEFAULTS: Readonly<RealtimeSessionConfig> = Object.freeze({
  turnDetection: { type: 'server_vad' as const },
  noiseReduction: 'near_field' as const,
  transcription: { model: 'gpt-4o-mini-transcribe' },
});

/** customParameters keys a call may carry to override its route: a JSON session object, and the greeting. */
export const REALTIME_SESSION_OVERRIDE_PARAM = 'realtime.session';
export const REALTIME_GREETING_OVERRIDE_PARAM = 'realtime.greeting';

export function configError(message: string, details?: Record<string, unknown>): AppError {
  return new AppError(message, { code: 'REALTIME_CONFIG_INVALID', category: 'configuration', details });
}

/** A call's overrides from its customParameters; throws `REALTIME_CONFIG_INVALID` when they are malformed. */
export function callOverrides(params: Readonly<Record<string, string>>): {
  session: RealtimeSessionConfig;
  greeting: string | null | undefined;
} {
  const raw = params[REALTIME_SESSION_OVERRIDE_PARAM];
  let session: RealtimeSessionConfig = {};
  if (raw !== undefined && raw.trim() !== '') {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw configError(`customParameter ${REALTIME_SESSION_OVERRIDE_PARAM} is not JSON`, {
        reason: (err as Error).message,
      });
    }
    const parsed = realtimeSessionConfigSchema.safeParse(json);
    if (!parsed.success) {
      throw configError(`customParameter ${REALTIME_SESSION_OVERRIDE_PARAM}: ${describeZodIssues(parsed.error)}`);
    }
    session = parsed.data;
  }
  const g = params[REALTIME_GREETING_OVERRIDE_PARAM];
  return { session, greeting: g === undefined ? undefined : g.trim() === '' ? null : g };
}

/** Merges levels left to right; a key a later level sets replaces the earlier value whole. */
export function mergeSessionConfig(...levels: readonly RealtimeSessionConfig[]): RealtimeSessionConfig {
  const out: Record<string, unknown> = {};
  for (const level of levels) {
    for (const [k, v] of Object.entries(level)) if (v !== undefined) out[k] = v;
  }
  return out as RealtimeSessionConfig;
}

/** The format for a call: μ-law or A-law when asked or when the leg is 8 kHz (`auto`), 24 kHz PCM otherwise. */
export function chooseRealtimeFormat(audio: RealtimeAgentConfig['audio'], leg: AudioFormat): RealtimeAudioFormat {
  switch (audio) {
    case 'pcmu':
      return REALTIME_PCMU;
    case 'pcma':
      return REALTIME_PCMA;
    case 'pcm24k':
      return REALTIME_PCM;
    case 'auto':
      return leg.sampleRate === 8000 ? REALTIME_PCMU : REALTIME_PCM;
  }
}

/** A built-in call tool as the agent runs it. */
export type BuiltinToolSpec =
  | { readonly name: 'hangup' }
  | { readonly name: 'send_dtmf' }
  | { readonly name: 'transfer'; readonly destinations: Readonly<Record<string, RealtimeTransferDestination>> }
  | { readonly name: 'warm_transfer'; readonly destinations: Readonly<Record<string, RealtimeTransferDestination>> };

export function builtinToolSpecs(config: RealtimeAgentConfig['builtinTools']): BuiltinToolSpec[] {
  return [
    ...(config.hangup ? [{ name: 'hangup' as const }] : []),
    ...(config.sendDtmf ? [{ name: 'send_dtmf' as const }] : []),
    ...(config.transfer ? [{ name: 'transfer' as const, destinations: config.transfer.destinations }] : []),
    ...(config.warmTransfer
      ? [{ name: 'warm_transfer' as const, destinations: config.warmTransfer.destinations }]
      : []),
  ];
}

/** The function definition the model sees for a built-in tool (defined once in `calls/builtin-tools.ts`). */
export function builtinToolDefinition(spec: BuiltinToolSpec): FunctionToolDefinition {
  switch (spec.name) {
    case 'hangup':
    case 'send_dtmf':
      return builtinFunctionDefinition(spec.name);
    case 'transfer':
      return transferToDestinationsDefinition(spec.destinations);
    case 'warm_transfer':
      return warmTransferDefinition(spec.destinations);
  }
}

function turnDetectionOf(c: RealtimeSessionConfig['turnDetection']): TurnDetectionSettings | null {
  if (c === undefined || c.type === 'none') return c === undefined ? { type: 'server_vad' } : null;
  return c;
}

function toolChoiceOf(c: RealtimeSessionConfig['toolChoice']): ToolChoiceSetting | undefined {
  if (c === undefined || typeof c === 'string' || c.type === 'function') return c;
  return { type: 'mcp', server_label: c.serverLabel, ...(c.name !== undefined ? { name: c.name } : {}) };
}

/** A function defined on the route (its HTTP `tools`), as the model is told about it. */
export interface RouteFunctionTool {
  readonly name: string;
  readonly description?: string | undefined;
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
}

function functionDefinition(t: RouteFunctionTool): FunctionToolDefinition {
  return {
    type: 'function',
    name: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    ...(t.parameters !== undefined ? { parameters: t.parameters } : {}),
  };
}

/**
 * Settings for one call from its merged config, the chosen format, the built-in tools and the route's tools.
 * Throws `REALTIME_CONFIG_INVALID` when two tools share a name.
 */
export function sessionSettingsOf(
  config: RealtimeSessionConfig,
  format: RealtimeAudioFormat,
  builtins: readonly BuiltinToolSpec[],
  routeTools: readonly RouteFunctionTool[] = [],
): RealtimeSessionSettings {
  const functions = [
    ...builtins.map(builtinToolDefinition),
    ...routeTools.map(functionDefinition),
    ...(config.tools ?? []).map(functionDefinition),
  ];
  const seen = new Set<string>();
  for (const f of functions) {
    if (seen.has(f.name)) throw configError(`two tools are named "${f.name}"`, { tool: f.name });
    seen.add(f.name);
  }
  const tools: RealtimeToolDefinition[] = [
    ...functions,
    ...(config.mcpServers ?? []).map((m) => ({ ...m, type: 'mcp' as const })),
  ];
  const toolChoice = toolChoiceOf(config.toolChoice);
  return {
    inputFormat: format,
    outputFormat: format,
    turnDetection: turnDetectionOf(config.turnDetection),
    noiseReduction:
      config.noiseReduction === undefined || config.noiseReduction === 'off' ? null : config.noiseReduction,
    transcription: config.transcription === undefined || config.transcription === false ? null : config.transcription,
    tools,
    ...(config.instructions !== undefined ? { instructions: config.instructions } : {}),
    ...(config.voice !== undefined ? { voice: config.voice } : {}),
    ...(config.speed !== undefined ? { speed: config.speed } : {}),
    ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
    ...(config.maxOutputTokens !== undefined ? { maxOutputTokens: config.maxOutputTokens } : {}),
    ...(toolChoice !== undefined ? { toolChoice } : {}),
  };
}

/**
 * Encodes the session for the dialect and validates it before anything is sent: a GA body must pass the GA
 * session schema, and no setting may be one the dialect cannot express. Throws `REALTIME_CONFIG_INVALID`.
 */
export function encodeValidatedSession(dialect: 'ga' | 'beta', settings: RealtimeSessionSettings): EncodedSession {
  const encoded = encodeSession(dialect, settings);
  if (encoded.unsupported.length > 0) {
    throw configError(`the ${dialect} Realtime API cannot express: ${encoded.unsupported.join(', ')}`, {
      unsupported: encoded.unsupported,
    });
  }
  if (dialect === 'ga') {
    const parsed = gaSessionWireSchema.safeParse(encoded.session);
    if (!parsed.success) throw configError(`invalid Realtime session: ${describeZodIssues(parsed.error)}`);
  }
  return encoded;
}

/** Everything a call's Realtime session is set up with, worked out once before connecting. */
export interface RealtimeSessionPlan {
  /** The validated `session.update` body. */
  readonly body: Record<string, unknown>;
  /** Instructions of the AI-first greeting response (the session instructions, then the greeting). */
  readonly greeting: string | undefined;
  readonly builtins: ReadonlyMap<string, BuiltinToolSpec>;
  readonly fillers: ReadonlyMap<string, string>;
  /** Whether the server's `speech_started` interrupts the model (false with `interruptResponse: false` or no VAD). */
  readonly interruptOnServerSpeech: boolean;
}

/**
 * Plans a call's session: merges defaults ← route ← the call's overrides, adds the built-in and route tools,
 * encodes and validates the body for the dialect. Throws `REALTIME_CONFIG_INVALID`.
 */
export function planSession(
  config: RealtimeAgentConfig,
  customParameters: Readonly<Record<string, string>>,
  format: RealtimeAudioFormat,
  routeTools: readonly RouteFunctionTool[],
  amd?: AmdResult,
): RealtimeSessionPlan {
  const overrides = callOverrides(customParameters);
  const base = mergeSessionConfig(REALTIME_SESSION_DEFAULTS, config.session, overrides.session);
  // The answering-machine verdict is part of the instructions from the first session.update on.
  const note = amd && amdInstructionNote(amd);
  const merged = note ? { ...base, instructions: base.instructions ? `${base.instructions}\n\n${note}` : note } : base;
  const builtins = builtinToolSpecs(config.builtinTools);
  const settings = sessionSettingsOf(merged, format, builtins, routeTools);
  const body = encodeValidatedSession(config.apiVersion, settings).session;
  const routeGreeting = overrides.greeting === null ? undefined : (overrides.greeting ?? config.greeting);
  const greeting = routeGreeting ?? (amd?.result === 'machine' ? AMD_MESSAGE_GREETING : undefined);
  const td = merged.turnDetection;
  return {
    body,
    greeting:
      greeting === undefined ? undefined : merged.instructions ? `${merged.instructions}\n\n${greeting}` : greeting,
    builtins: new Map(builtins.map((b) => [b.name, b])),
    fillers: new Map(Object.entries(config.fillers)),
    interruptOnServerSpeech: td === undefined || (td.type !== 'none' && td.interruptResponse !== false),
  };
}

/**
 * A GA session body without the audio formats: what a SIP call's session gets (at accept and over the sideband),
 * since the SIP offer and answer decide the codec.
 */
export function withoutAudioFormats(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const audio = body.audio as { input?: Record<string, unknown>; output?: Record<string, unknown> } | undefined;
  if (audio === undefined) return { ...body };
  const strip = (side: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
    if (side === undefined) return undefined;
    const { format: _format, ...rest } = side;
    return rest;
  };
  const input = strip(audio.input);
  const output = strip(audio.output);
  return { ...body, audio: { ...(input ? { input } : {}), ...(output ? { output } : {}) } };
}
