import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type ChanWebSocketCommand,
  encodeChanWebSocketCommand,
  encodeChanWebSocketEvent,
  MediaFramer,
  parseChanWebSocketCommand,
  parseChanWebSocketEvent,
} from '../../../src/protocols/chan-websocket/index.js';

const TRACE = fileURLToPath(
  new URL(
    '../../fixtures/asterisk-22.10/09-chan-websocket-json/09-chan-websocket-json.media-ws.jsonl',
    import.meta.url,
  ),
);

interface TraceLine {
  dir: string;
  type: string;
  data?: string;
}

function trace(): TraceLine[] {
  return readFileSync(TRACE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TraceLine);
}

describe('chan_websocket control messages', () => {
  it('parses every text event a real Asterisk 22.10 sent into the typed union', () => {
    const received = trace().filter((l) => l.dir === 'rx' && l.type === 'text');
    expect(received.length).toBeGreaterThanOrEqual(8);
    const names = received.map((l) => {
      const parsed = parseChanWebSocketEvent(l.data ?? '');
      if (!parsed.ok) throw new Error(`not parsed: ${l.data} (${parsed.reason})`);
      return parsed.event.event;
    });
    expect(new Set(names)).toEqual(
      new Set(['MEDIA_START', 'STATUS', 'QUEUE_DRAINED', 'MEDIA_MARK_PROCESSED', 'ERROR']),
    );
    const start = parseChanWebSocketEvent(received[0]!.data!);
    expect(start).toMatchObject({
      ok: true,
      event: { event: 'MEDIA_START', format: 'slin16', optimal_frame_size: 640, ptime: 20 },
    });
  });

  it('reads the commands the recording sent as Asterisk would (JSON channel)', () => {
    const sent = trace().filter((l) => l.dir === 'tx' && l.type === 'text');
    const kinds = sent.map((l) => parseChanWebSocketCommand(l.data ?? '', 'json').kind);
    expect(kinds).toContain('command');
    // NO_SUCH_COMMAND is unknown (Asterisk only logs it); plain text on a JSON channel is unparseable (ERROR).
    expect(parseChanWebSocketCommand('{"command":"NO_SUCH_COMMAND"}', 'json')).toEqual({
      kind: 'unknown',
      name: 'NO_SUCH_COMMAND',
    });
    expect(parseChanWebSocketCommand('GET_STATUS', 'json')).toEqual({ kind: 'unparseable' });
  });

  it('parses the plain-text forms into the same union', () => {
    expect(
      parseChanWebSocketEvent(
        'MEDIA_START connection_id:c1 channel:WebSocket/c1/0x1 format:ulaw optimal_frame_size:160 ptime:20',
      ),
    ).toMatchObject({ ok: true, event: { event: 'MEDIA_START', format: 'ulaw', optimal_frame_size: 160, ptime: 20 } });
    expect(parseChanWebSocketEvent('MEDIA_XOFF')).toMatchObject({ ok: true, event: { event: 'MEDIA_XOFF' } });
    expect(parseChanWebSocketEvent('MEDIA_MARK_PROCESSED correlation_id:m7')).toMatchObject({
      ok: true,
      event: { event: 'MEDIA_MARK_PROCESSED', correlation_id: 'm7' },
    });
    expect(parseChanWebSocketEvent('MEDIA_MARK_PROCESSED m8')).toMatchObject({
      ok: true,
      event: { correlation_id: 'm8' },
    });
    expect(
      parseChanWebSocketEvent(
        'STATUS queue_length:3 xon_level:800 xoff_level:900 queue_full:false bulk_media:false media_paused:true',
      ),
    ).toMatchObject({ ok: true, event: { event: 'STATUS', queue_length: 3, media_paused: true, queue_full: false } });
    expect(parseChanWebSocketEvent('DTMF_END digit:5')).toMatchObject({ ok: true, event: { digit: '5' } });
    expect(parseChanWebSocketEvent('ERROR Unable to parse command')).toMatchObject({
      ok: true,
      event: { event: 'ERROR', error_text: 'Unable to parse command' },
    });
  });

  it('refuses what is not an event, without throwing', () => {
    expect(parseChanWebSocketEvent('{not json').ok).toBe(false);
    expect(parseChanWebSocketEvent('{"event":"NO_SUCH_EVENT"}').ok).toBe(false);
    expect(parseChanWebSocketEvent('MEDIA_MARK_PROCESSED').ok).toBe(false);
    expect(parseChanWebSocketEvent('').ok).toBe(false);
  });

  it('round-trips every command through both encodings', () => {
    const commands: ChanWebSocketCommand[] = [
      { command: 'ANSWER' },
      { command: 'HANGUP' },
      { command: 'START_MEDIA_BUFFERING' },
      { command: 'STOP_MEDIA_BUFFERING', correlation_id: 'b1' },
      { command: 'MARK_MEDIA', correlation_id: 'm12' },
      { command: 'FLUSH_MEDIA' },
      { command: 'PAUSE_MEDIA' },
      { command: 'CONTINUE_MEDIA' },
      { command: 'GET_STATUS' },
      { command: 'REPORT_QUEUE_DRAINED' },
      { command: 'SET_MEDIA_DIRECTION', direction: 'in' },
    ];
    for (const format of ['json', 'plain-text'] as const) {
      for (const cmd of commands) {
        expect(parseChanWebSocketCommand(encodeChanWebSocketCommand(cmd, format), format)).toEqual({
          kind: 'command',
          command: cmd,
        });
      }
    }
    expect(encodeChanWebSocketCommand({ command: 'MARK_MEDIA', correlation_id: 'mark-1' }, 'json')).toBe(
      '{"command":"MARK_MEDIA","correlation_id":"mark-1"}',
    );
  });

  it('round-trips events through the plain-text encoding', () => {
    const text = encodeChanWebSocketEvent(
      { event: 'MEDIA_MARK_PROCESSED', channel_id: '1.2', correlation_id: 'm3' },
      'plain-text',
    );
    expect(parseChanWebSocketEvent(text)).toEqual({
      ok: true,
      event: { event: 'MEDIA_MARK_PROCESSED', channel_id: '1.2', correlation_id: 'm3' },
    });
  });

  it('MediaFramer emits whole frames and holds the remainder until it is completed or cleared', () => {
    const f = new MediaFramer(4);
    expect(f.push(Buffer.from([1, 2, 3]))).toEqual([]);
    expect(f.push(Buffer.from([4, 5, 6, 7, 8, 9]))).toEqual([Buffer.from([1, 2, 3, 4]), Buffer.from([5, 6, 7, 8])]);
    expect(f.pendingBytes).toBe(1);
    f.clear();
    expect(f.push(Buffer.from([10, 11, 12, 13]))).toEqual([Buffer.from([10, 11, 12, 13])]);
    expect(() => new MediaFramer(70_000)).toThrow(RangeError);
  });
});
