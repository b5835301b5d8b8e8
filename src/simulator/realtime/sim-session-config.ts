import { describeZodIssues } from '../../protocols/agent/common.js';
import {
  betaFormatName,
  normaliseFormatName,
  parseRealtimeAudioFormat,
  REALTIME_PCM,
  type RealtimeAudioFormat,
} from '../../protocols/realtime/audio-formats.js';
import { gaSessionWireSchema } from '../../protocols/realtime/session-wire.js';

/** The simulated server's view of a session (GA shape, beta updates folded in). */
export interface SimSessionState {
  id: string;
  model: string;
  instructions: string;
  inputFormat: RealtimeAudioFormat;
  outputFormat: RealtimeAudioFormat;
  /** null: no turn detection. */
  turnDetection: Record<string, unknown> | null;
  noiseReduction: Record<string, unknown> | null;
  transcription: Record<string, unknown> | null;
  voice: unknown;
  tools: Record<string, unknown>[];
  toolChoice: unknown;
  extra: Record<string, unknown>;
}

export const DEFAULT_SERVER_VAD: Readonly<Record<string, unknown>> = Object.freeze({
  type: 'server_vad',
  threshold: 0.5,
  prefix_padding_ms: 300,
  silence_duration_ms: 500,
  idle_timeout_ms: null,
  create_response: true,
  interrupt_response: true,
});

export function initialSessionState(id: string, model: string): SimSessionState {
  return {
    id,
    model,
    instructions: 'You are a helpful, witty, and friendly AI.',
    inputFormat: REALTIME_PCM,
    outputFormat: REALTIME_PCM,
    turnDetection: { ...DEFAULT_SERVER_VAD },
    noiseReduction: null,
    transcription: null,
    voice: 'alloy',
    tools: [],
    toolChoice: 'auto',
    extra: {},
  };
}

export type SessionUpdateResult = { ok: true } | { ok: false; code: string; message: string; param?: string };

function turnDetectionOf(v: unknown): Record<string, unknown> | null {
  if (v === null || typeof v !== 'object') return null;
  const t = v as Record<string, unknown>;
  return t.type === 'server_vad'
    ? { ...DEFAULT_SERVER_VAD, ...t }
    : { create_response: true, interrupt_response: true, eagerness: 'auto', ...t };
}

/** Applies a GA `session.update` body; refuses unknown fields and bad values as the service does. */
export function applyGaUpdate(state: SimSessionState, body: Record<string, unknown>): SessionUpdateResult {
  const parsed = gaSessionWireSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const path = ['session', ...(issue?.path ?? []).map(String), ...(unknownKey ? [unknownKey] : [])].join('.');
    return unknownKey
      ? { ok: false, code: 'unknown_parameter', message: `Unknown parameter: '${path}'.`, param: path }
      : {
          ok: false,
          code: 'invalid_value',
          message: `Invalid value for '${path}': ${describeZodIssues(parsed.error)}`,
          param: path,
        };
  }
  const s = parsed.data;
  if (s.instructions !== undefined) state.instructions = s.instructions;
  const input = s.audio?.input;
  if (input?.format !== undefined) state.inputFormat = input.format;
  if (input && 'turn_detection' in input) state.turnDetection = turnDetectionOf(input.turn_detection);
  if (input && 'noise_reduction' in input) state.noiseReduction = input.noise_reduction ?? null;
  if (input && 'transcription' in input) state.transcription = input.transcription ?? null;
  const output = s.audio?.output;
  if (output?.format !== undefined) state.outputFormat = output.format;
  if (output?.voice !== undefined) state.voice = output.voice;
  if (s.tools !== undefined) state.tools = s.tools as Record<string, unknown>[];
  if (s.tool_choice !== undefined) state.toolChoice = s.tool_choice;
  if (s.max_output_tokens !== undefined) state.extra.max_output_tokens = s.max_output_tokens;
  return { ok: true };
}

/** Applies a beta `session.update` body (formats as `pcm16`/`g711_ulaw`/`g711_alaw`, fields at the top level). */
export function applyBetaUpdate(state: SimSessionState, body: Record<string, unknown>): SessionUpdateResult {
  for (const key of ['input_audio_format', 'output_audio_format'] as const) {
    const v = body[key];
    if (v === undefined) continue;
    const format =
      typeof v === 'string' && normaliseFormatName(v) !== undefined ? parseRealtimeAudioFormat(v) : undefined;
    if (!format)
      return { ok: false, code: 'invalid_value', message: `Invalid value: '${String(v)}'`, param: `session.${key}` };
    if (key === 'input_audio_format') state.inputFormat = format;
    else state.outputFormat = format;
  }
  if (typeof body.instructions === 'string') state.instructions = body.instructions;
  if ('turn_detection' in body) state.turnDetection = turnDetectionOf(body.turn_detection);
  if ('input_audio_transcription' in body)
    state.transcription = (body.input_audio_transcription as Record<string, unknown> | null) ?? null;
  if ('input_audio_noise_reduction' in body)
    state.noiseReduction = (body.input_audio_noise_reduction as Record<string, unknown> | null) ?? null;
  if (body.voice !== undefined) state.voice = body.voice;
  if (Array.isArray(body.tools)) state.tools = body.tools as Record<string, unknown>[];
  if (body.tool_choice !== undefined) state.toolChoice = body.tool_choice;
  for (const k of ['temperature', 'modalities', 'max_response_output_tokens', 'speed']) {
    if (body[k] !== undefined) state.extra[k] = body[k];
  }
  return { ok: true };
}

/** The session as the server echoes it in `session.created`/`session.updated`. */
export function sessionEcho(state: SimSessionState, dialect: 'ga' | 'beta'): Record<string, unknown> {
  if (dialect === 'beta') {
    return {
      id: state.id,
      object: 'realtime.session',
      model: state.model,
      modalities: ['audio', 'text'],
      instructions: state.instructions,
      voice: state.voice,
      input_audio_format: betaFormatName(state.inputFormat),
      output_audio_format: betaFormatName(state.outputFormat),
      input_audio_transcription: state.transcription,
      input_audio_noise_reduction: state.noiseReduction,
      turn_detection: state.turnDetection,
      tools: state.tools,
      tool_choice: state.toolChoice,
      ...state.extra,
    };
  }
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: state.id,
    model: state.model,
    output_modalities: ['audio'],
    instructions: state.instructions,
    audio: {
      input: {
        format: state.inputFormat,
        transcription: state.transcription,
        noise_reduction: state.noiseReduction,
        turn_detection: state.turnDetection,
      },
      output: { format: state.outputFormat, voice: state.voice, speed: 1 },
    },
    tools: state.tools,
    tool_choice: state.toolChoice,
    max_output_tokens: 'inf',
    ...state.extra,
  };
}
