import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { ChanWebSocketConnection } from '../../../src/transports/chan-websocket/chan-websocket-connection.js';
import { RecordingSocket, startRecordedLeg } from '../../fakes/recording-chan-websocket.js';
import { createLogger } from '../../../src/observability/logger.js';

/** A peer that never answers the close frame: only terminate() ends the socket. */
class SilentPeerSocket extends RecordingSocket {
  closeFrames = 0;
  override close(): void {
    this.closeFrames += 1;
  }
}

describe('chan_websocket close(): async, idempotent, bounded', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the leg and its connection send one close frame however often close() is called, and resolve once closed', async () => {
    const { ws, leg } = startRecordedLeg();
    const closes: number[] = [];
    ws.on('close', (code: number) => closes.push(code));
    const first = leg.close();
    const second = leg.close();
    expect(first).toBeInstanceOf(Promise);
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await expect(leg.close()).resolves.toBeUndefined();
    expect(closes).toEqual([1000]);
    expect(leg.closed).toBe(true);
  });

  it('a peer that never answers the close frame is terminated and close() still resolves', async () => {
    vi.useFakeTimers();
    const ws = new SilentPeerSocket();
    const conn = new ChanWebSocketConnection(ws as unknown as WebSocket, {
      controlFormat: 'json',
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    let settled = false;
    void conn.close(1000).then(() => (settled = true));
    void conn.close(1000);
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(settled).toBe(true);
    expect(ws.closeFrames).toBe(1);
  });
});
