import { describe, expect, it } from 'vitest';
import { ALAW8K, PCM24K, ULAW8K } from '../../../src/audio/format.js';
import {
  audioFormatOf,
  betaFormatName,
  normaliseFormatName,
  parseRealtimeAudioFormat,
  realtimeAudioMs,
} from '../../../src/protocols/realtime/audio-formats.js';
import { appendEventText, parseRealtimeClientEvent } from '../../../src/protocols/realtime/client-events.js';
import { classifyRealtimeError, errorBodyOfHttpAnswer } from '../../../src/protocols/realtime/error-classes.js';
import { parseRealtimeServerEvent } from '../../../src/protocols/realtime/server-events.js';

describe('Realtime audio formats', () => {
  it.each([
    ['audio/pcm', 'audio/pcm'],
    ['pcm16', 'audio/pcm'],
    ['PCM16', 'audio/pcm'],
    ['audio/pcmu', 'audio/pcmu'],
    ['g711_ulaw', 'audio/pcmu'],
    ['pcmu', 'audio/pcmu'],
    ['mulaw', 'audio/pcmu'],
    ['ulaw', 'audio/pcmu'],
    ['audio/pcma', 'audio/pcma'],
    ['g711_alaw', 'audio/pcma'],
    ['alaw', 'audio/pcma'],
  ])('%s is %s', (alias, ga) => {
    expect(normaliseFormatName(alias)).toBe(ga);
    expect(parseRealtimeAudioFormat(alias)?.type).toBe(ga);
    expect(parseRealtimeAudioFormat({ type: alias })?.type).toBe(ga);
  });

  it('refuses unknown names and PCM at rates other than 24 kHz', () => {
    expect(parseRealtimeAudioFormat('opus')).toBeUndefined();
    expect(parseRealtimeAudioFormat({ type: 'audio/pcm', rate: 16000 })).toBeUndefined();
    expect(parseRealtimeAudioFormat({ type: 'audio/pcm', rate: 24000 })).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(parseRealtimeAudioFormat({ type: 'audio/pcm' })).toEqual({ type: 'audio/pcm', rate: 24000 });
  });

  it('maps to the adapter formats, the beta names and durations', () => {
    expect(audioFormatOf({ type: 'audio/pcm', rate: 24000 })).toEqual(PCM24K);
    expect(audioFormatOf({ type: 'audio/pcmu' })).toEqual(ULAW8K);
    expect(audioFormatOf({ type: 'audio/pcma' })).toEqual(ALAW8K);
    expect(betaFormatName({ type: 'audio/pcmu' })).toBe('g711_ulaw');
    expect(betaFormatName({ type: 'audio/pcm', rate: 24000 })).toBe('pcm16');
    expect(realtimeAudioMs({ type: 'audio/pcm', rate: 24000 }, 960)).toBe(20);
    expect(realtimeAudioMs({ type: 'audio/pcmu' }, 160)).toBe(20);
  });
});

describe('Realtime server events', () => {
  it('parses GA events and keeps unknown fields', () => {
    const r = parseRealtimeServerEvent(
      JSON.stringify({
        type: 'response.output_audio.delta',
        event_id: 'e1',
        response_id: 'r',
        item_id: 'i',
        output_index: 0,
        content_index: 0,
        delta: 'AAA=',
        extra: 1,
      }),
    );
    expect(r).toMatchObject({
      ok: true,
      event: { type: 'response.output_audio.delta', item_id: 'i', delta: 'AAA=', extra: 1 },
    });
  });

  it.each([
    ['response.audio.delta', 'response.output_audio.delta', { response_id: 'r', item_id: 'i', delta: '' }],
    ['response.audio.done', 'response.output_audio.done', { response_id: 'r', item_id: 'i' }],
    [
      'response.audio_transcript.delta',
      'response.output_audio_transcript.delta',
      { response_id: 'r', item_id: 'i', delta: 'x' },
    ],
    [
      'response.audio_transcript.done',
      'response.output_audio_transcript.done',
      { response_id: 'r', item_id: 'i', transcript: 'x' },
    ],
    ['response.text.done', 'response.output_text.done', { response_id: 'r', item_id: 'i', text: 'x' }],
    ['conversation.item.created', 'conversation.item.added', { item: { id: 'i', type: 'message' } }],
  ])('renames the beta %s to %s', (beta, ga, fields) => {
    const r = parseRealtimeServerEvent(JSON.stringify({ type: beta, ...fields }));
    expect(r.ok && r.event.type).toBe(ga);
  });

  it('passes events it does not act on as "other", and refuses malformed ones', () => {
    expect(parseRealtimeServerEvent(JSON.stringify({ type: 'response.content_part.added', part: {} }))).toEqual({
      ok: true,
      event: { type: 'other', name: 'response.content_part.added' },
    });
    expect(parseRealtimeServerEvent('{oops')).toMatchObject({ ok: false, code: 'malformed_json' });
    expect(parseRealtimeServerEvent('{"no":"type"}')).toMatchObject({ ok: false, code: 'missing_type' });
    const bad = parseRealtimeServerEvent(JSON.stringify({ type: 'input_audio_buffer.speech_started', item_id: 'i' }));
    expect(bad).toMatchObject({ ok: false, code: 'invalid_event', name: 'input_audio_buffer.speech_started' });
  });

  it('parses error events with defaults for missing fields', () => {
    const r = parseRealtimeServerEvent(
      JSON.stringify({ type: 'error', error: { code: 'invalid_api_key', message: 'nope' } }),
    );
    expect(r).toMatchObject({
      ok: true,
      event: { type: 'error', error: { type: 'unknown_error', code: 'invalid_api_key' } },
    });
  });
});

describe('Realtime client events', () => {
  it('builds appends as the generic serializer would', () => {
    const b64 = Buffer.from([1, 2, 3, 255]).toString('base64');
    expect(appendEventText(b64)).toBe(JSON.stringify({ type: 'input_audio_buffer.append', audio: b64 }));
  });

  it('parses what a client sends and refuses unknown types and bad shapes', () => {
    expect(parseRealtimeClientEvent(JSON.stringify({ type: 'response.cancel' }))).toMatchObject({ ok: true });
    expect(
      parseRealtimeClientEvent(
        JSON.stringify({
          type: 'conversation.item.create',
          item: { type: 'function_call_output', call_id: 'c', output: '{}' },
        }),
      ),
    ).toMatchObject({ ok: true });
    expect(parseRealtimeClientEvent(JSON.stringify({ type: 'teleport', event_id: 'x' }))).toMatchObject({
      ok: false,
      code: 'unknown_event',
      eventId: 'x',
    });
    expect(
      parseRealtimeClientEvent(
        JSON.stringify({ type: 'conversation.item.truncate', item_id: 'i', content_index: 0, audio_end_ms: -1 }),
      ),
    ).toMatchObject({ ok: false, code: 'invalid_event' });
  });
});

describe('Realtime error classes', () => {
  it.each([
    [{ type: 'invalid_request_error', code: 'response_cancel_not_active' }, 'benign', 'REALTIME_BENIGN'],
    [{ type: 'invalid_request_error', code: 'invalid_api_key' }, 'fatal', 'REALTIME_AUTH_FAILED'],
    [{ type: 'authentication_error', code: null }, 'fatal', 'REALTIME_AUTH_FAILED'],
    [{ type: 'insufficient_quota', code: 'insufficient_quota' }, 'fatal', 'REALTIME_QUOTA_EXCEEDED'],
    [{ type: 'invalid_request_error', code: 'model_not_found' }, 'fatal', 'REALTIME_MODEL_UNAVAILABLE'],
    [{ type: 'server_error', code: null }, 'reconnect', 'REALTIME_SERVER_ERROR'],
    [{ type: 'invalid_request_error', code: 'session_expired' }, 'reconnect', 'REALTIME_SERVER_ERROR'],
    [{ type: 'invalid_request_error', code: 'invalid_tool_call_id' }, 'report', 'REALTIME_REQUEST_REFUSED'],
    [{ type: 'invalid_request_error', code: 'invalid_value' }, 'report', 'REALTIME_REQUEST_REFUSED'],
    [{ type: 'rate_limit_error', code: 'rate_limit_exceeded' }, 'report', 'REALTIME_RATE_LIMITED'],
  ])('%j is %s', (error, disposition, code) => {
    expect(classifyRealtimeError(error)).toMatchObject({ disposition, code });
  });

  it('reads the error of an HTTP answer body', () => {
    expect(
      errorBodyOfHttpAnswer('{"error":{"type":"insufficient_quota","code":"insufficient_quota","message":"m"}}'),
    ).toEqual({
      type: 'insufficient_quota',
      code: 'insufficient_quota',
      message: 'm',
    });
    expect(errorBodyOfHttpAnswer('<html>')).toBeUndefined();
  });
});
