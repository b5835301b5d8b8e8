import { describe, expect, it } from 'vitest';
import {
  decodeSessionEcho,
  encodeBetaSession,
  encodeGaSession,
  gaSessionWireSchema,
  type RealtimeSessionSettings,
} from '../../../src/protocols/realtime/session-wire.js';

const base: RealtimeSessionSettings = {
  instructions: 'Be brief.',
  voice: 'marin',
  inputFormat: { type: 'audio/pcmu' },
  outputFormat: { type: 'audio/pcmu' },
  turnDetection: { type: 'semantic_vad', eagerness: 'high', interruptResponse: true },
  noiseReduction: 'near_field',
  transcription: { model: 'gpt-4o-mini-transcribe', language: 'en' },
  tools: [
    { type: 'function', name: 'lookup', parameters: { type: 'object' } },
    { type: 'mcp', server_label: 'crm', server_url: 'https://mcp.example/sse' },
  ],
  toolChoice: 'auto',
};

describe('Realtime session bodies', () => {
  it('GA: audio.input/output with format objects, validated by the GA schema', () => {
    const { session, unsupported } = encodeGaSession(base);
    expect(unsupported).toEqual([]);
    expect(session).toEqual({
      type: 'realtime',
      output_modalities: ['audio'],
      instructions: 'Be brief.',
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          turn_detection: { type: 'semantic_vad', eagerness: 'high', interrupt_response: true },
          noise_reduction: { type: 'near_field' },
          transcription: { model: 'gpt-4o-mini-transcribe', language: 'en' },
        },
        output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
      },
      tools: base.tools,
      tool_choice: 'auto',
    });
    expect(gaSessionWireSchema.safeParse(session).success).toBe(true);
  });

  it('GA: no turn detection is null, and temperature cannot be expressed', () => {
    const { session, unsupported } = encodeGaSession({
      ...base,
      turnDetection: null,
      noiseReduction: null,
      temperature: 0.8,
    });
    expect((session.audio as { input: Record<string, unknown> }).input).toMatchObject({
      turn_detection: null,
      noise_reduction: null,
    });
    expect(unsupported).toEqual(['temperature']);
    expect(gaSessionWireSchema.safeParse({ ...session, temperature: 0.8 }).success).toBe(false);
  });

  it('beta: top-level fields, format names, temperature; MCP servers cannot be expressed', () => {
    const { session, unsupported } = encodeBetaSession({ ...base, temperature: 0.7 });
    expect(session).toMatchObject({
      input_audio_format: 'g711_ulaw',
      output_audio_format: 'g711_ulaw',
      voice: 'marin',
      temperature: 0.7,
      turn_detection: { type: 'semantic_vad', eagerness: 'high' },
      input_audio_transcription: { model: 'gpt-4o-mini-transcribe', language: 'en' },
      input_audio_noise_reduction: { type: 'near_field' },
      tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object' } }],
    });
    expect(unsupported).toEqual(['tools[mcp:crm]']);
  });

  it('reads a session echo in either dialect, normalising format names', () => {
    expect(
      decodeSessionEcho({
        audio: {
          input: { format: { type: 'audio/pcmu' }, turn_detection: null, transcription: null },
          output: { format: 'pcmu' },
        },
        tools: [{ type: 'function', name: 'a' }],
      }),
    ).toEqual({
      inputFormat: { type: 'audio/pcmu' },
      outputFormat: { type: 'audio/pcmu' },
      turnDetection: 'none',
      transcription: false,
      toolNames: ['a'],
    });
    expect(
      decodeSessionEcho({
        input_audio_format: 'g711_ulaw',
        output_audio_format: 'pcm16',
        turn_detection: { type: 'server_vad' },
      }),
    ).toEqual({
      inputFormat: { type: 'audio/pcmu' },
      outputFormat: { type: 'audio/pcm', rate: 24000 },
      turnDetection: 'server_vad',
    });
  });
});
