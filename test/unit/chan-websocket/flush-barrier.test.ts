import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ChanWebSocketLeg, FLUSH_CONFIRM_TIMEOUT_MS } from '../../../src/calls/chan-websocket-leg.js';
import { type RecordingSocket, startRecordedLeg } from '../../fakes/recording-chan-websocket.js';

/** Sends `n` agent frames of `utteranceId` (each followed by its mark, `m<seq>`). */
function sendFrames(leg: ChanWebSocketLeg, n: number, utteranceId: string): void {
  for (let i = 0; i < n; i++) leg.sendFrame(Buffer.alloc(320, 1), { silence: false, utteranceId });
}

const ack = (ws: RecordingSocket, seq: number) =>
  ws.fromAsterisk(JSON.stringify({ event: 'MEDIA_MARK_PROCESSED', correlation_id: `m${seq}` }));
const status = (ws: RecordingSocket) =>
  ws.fromAsterisk(
    JSON.stringify({
      event: 'STATUS',
      queue_length: 0,
      xon_level: 800,
      xoff_level: 900,
      queue_full: false,
      bulk_media: false,
      media_paused: false,
    }),
  );

describe('chan_websocket flush: what was thrown away is settled by the STATUS reply behind FLUSH_MEDIA', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts audio whose marks arrive between the flush and the STATUS reply as played', async () => {
    const { ws, leg } = startRecordedLeg();
    const waiterEarly: boolean[] = [];
    const waiterLate: boolean[] = [];
    sendFrames(leg, 4, 'u1'); // m1..m4
    leg.afterPlayed((p) => waiterEarly.push(p)); // waits for m4
    sendFrames(leg, 6, 'u1'); // m5..m10; 200 ms in all
    leg.afterPlayed((p) => waiterLate.push(p)); // waits for m10
    ack(ws, 3);
    let settled: Map<string, number> | undefined;
    const flushed = leg.flushPlayout().then((lost) => {
      settled = lost;
      return lost;
    });
    const commands = ws.commands();
    expect(commands.slice(-2)).toEqual(['{"command":"FLUSH_MEDIA"}', '{"command":"GET_STATUS"}']);
    expect(leg.unplayedMs()).toBe(0);
    // Asterisk played m4 and m5 before the flush reached it; our process reads those marks only now.
    ack(ws, 5);
    await Promise.resolve();
    expect(settled).toBeUndefined();
    expect(waiterEarly).toEqual([true]);
    expect(waiterLate).toEqual([]);
    status(ws);
    expect(await flushed).toEqual(new Map([['u1', 100]]));
    expect(waiterLate).toEqual([false]);
  });

  it('after the flush, new audio is accounted on its own; a second flush waits for its own STATUS', async () => {
    const { ws, leg } = startRecordedLeg();
    sendFrames(leg, 4, 'u1'); // m1..m4
    const first = leg.flushPlayout();
    sendFrames(leg, 3, 'u2'); // m5..m7, sent after the flush
    expect(leg.unplayedMs()).toBe(60);
    ack(ws, 1);
    status(ws); // the first flush's reply
    expect(await first).toEqual(new Map([['u1', 60]]));
    ack(ws, 6);
    expect(leg.unplayedMs()).toBe(20);
    const second = leg.flushPlayout();
    status(ws);
    expect(await second).toEqual(new Map([['u2', 20]]));
  });

  it('without a STATUS reply in time, every unacknowledged frame counts as thrown away; the late reply is not misread', async () => {
    vi.useFakeTimers();
    const { ws, leg } = startRecordedLeg();
    sendFrames(leg, 5, 'u1');
    const first = leg.flushPlayout();
    vi.advanceTimersByTime(FLUSH_CONFIRM_TIMEOUT_MS);
    expect(await first).toEqual(new Map([['u1', 100]]));
    expect(leg.stats.flushConfirmTimeouts).toBe(1);
    sendFrames(leg, 2, 'u2'); // m6, m7
    const second = leg.flushPlayout();
    let secondSettled = false;
    void second.then(() => {
      secondSettled = true;
    });
    status(ws); // the first flush's late reply
    await Promise.resolve();
    expect(secondSettled).toBe(false);
    ack(ws, 6);
    status(ws);
    expect(await second).toEqual(new Map([['u2', 20]]));
  });

  it('a connection closing before the reply settles the flush with what was not acknowledged', async () => {
    const { ws, leg } = startRecordedLeg();
    sendFrames(leg, 3, 'u1');
    ack(ws, 1);
    const flushed = leg.flushPlayout();
    ws.close();
    expect(await flushed).toEqual(new Map([['u1', 40]]));
  });
});
