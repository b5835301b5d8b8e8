import { describe, expect, it } from 'vitest';
import {
  incomingEventSchema,
  parseAgentMessage,
  parseWebRtcSignalCommand,
  parseWebRtcSignalEvent,
} from '../../../src/protocols/agent/index.js';

describe('WebRTC signalling messages', () => {
  it('parses answer and candidate commands, end-of-candidates included', () => {
    expect(parseWebRtcSignalCommand(JSON.stringify({ command: 'answer', sdp: 'v=0\r\n' }))).toMatchObject({
      ok: true,
      message: { command: 'answer' },
    });
    const c = parseWebRtcSignalCommand(
      JSON.stringify({ command: 'candidate', candidate: '', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: null }),
    );
    expect(c).toMatchObject({ ok: true, message: { command: 'candidate', candidate: '' } });
  });

  it('refuses a signalling command with bad fields, and leaves other frames to the native parser', () => {
    const bad = parseWebRtcSignalCommand(JSON.stringify({ command: 'answer', sdp: 'not sdp' }));
    expect(bad).toMatchObject({ ok: false, signal: true, error: { code: 'invalid_command', command: 'answer' } });
    expect(parseWebRtcSignalCommand(JSON.stringify({ command: 'accept' }))).toEqual({ ok: false, signal: false });
    expect(parseWebRtcSignalCommand('{oops')).toEqual({ ok: false, signal: false });
    // On a native route the same frame is not a command the adapter knows.
    expect(parseAgentMessage(JSON.stringify({ command: 'answer', sdp: 'v=0' }))).toMatchObject({
      ok: false,
      error: { code: 'unknown_command' },
    });
  });

  it('parses the adapter offer and candidate events; incoming may carry media', () => {
    const offer = parseWebRtcSignalEvent(JSON.stringify({ event: 'offer', callId: 'c', timestamp: 1, sdp: 'v=0' }));
    expect(offer).toMatchObject({ ok: true, message: { event: 'offer' } });
    expect(parseWebRtcSignalEvent(JSON.stringify({ event: 'answer', callId: 'c', timestamp: 1 }))).toEqual({
      ok: false,
      signal: false,
    });
    const incoming = incomingEventSchema.safeParse({
      event: 'incoming',
      callId: 'c',
      timestamp: 1,
      protocolVersion: 1,
      caller: '',
      callee: '',
      route: 'r',
      direction: 'inbound',
      channel: { mode: 'stasis' },
      audio: { encoding: 'pcm16', sampleRate: 8000, frameMs: 20 },
      customParameters: {},
      media: { transport: 'webrtc', codecs: ['PCMU', 'opus'] },
    });
    expect(incoming.success).toBe(true);
  });
});
