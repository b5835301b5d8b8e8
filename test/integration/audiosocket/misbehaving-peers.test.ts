import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAudioFrame } from '../../../src/protocols/audiosocket/encoder.js';
import { encodeInboundMessage } from '../../../src/protocols/audiosocket/inbound-encoder.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../../src/simulator/audiosocket-dialer.js';
import type { AudioSocketRejection } from '../../../src/transports/audiosocket/audiosocket-server.js';
import { type Harness, isSilent, nonSilentTone, startHarness, withoutSilentFrames } from './harness.js';
import { waitFor } from '../../support/wait.js';
import { closedByPeer, rawConnect } from '../../support/net.js';

describe('misbehaving AudioSocket peers are closed without harming other calls', () => {
  let harness: Harness | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(calls.splice(0).map((c) => c.hangup()));
    await harness?.close();
    harness = undefined;
  });

  it('garbage, oversize frames, illegal kinds and empty audio close only the offending connection', async () => {
    const h = await startHarness({ maxFrameBytes: 8192 });
    harness = h;
    const GOOD = 5;
    const FRAMES = 50;
    const sources = Array.from({ length: GOOD }, (_, i) => nonSilentTone(100 + i, FRAMES * 160));
    const echoed = new Array<number>(GOOD).fill(0);
    calls.push(
      ...(await Promise.all(
        sources.map((samples, i) =>
          dialAudioSocket({
            host: h.host,
            port: h.port,
            uuid: h.register(`good-${i}`),
            // Looping, so the good calls keep talking however long the bad connections take.
            source: { type: 'samples', samples, loop: true },
            onFrame: (f) => {
              if (!isSilent(f.payload)) echoed[i]! += 1;
            },
          }),
        ),
      )),
    );
    await waitFor(() => echoed.every((n) => n >= 5), 20_000, 'the good calls to be flowing');

    const bad: { name: string; bytes: (uuid: string) => Buffer; code: string }[] = [
      {
        name: 'HTTP request',
        bytes: () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
        code: 'AUDIOSOCKET_UNKNOWN_KIND',
      },
      {
        name: 'oversize frame',
        bytes: (uuid) => Buffer.concat([encodeInboundMessage({ type: 'uuid', uuid }), Buffer.from([0x10, 0x23, 0x29])]),
        code: 'AUDIOSOCKET_FRAME_TOO_LARGE',
      },
      {
        name: 'garbage after audio',
        bytes: (uuid) =>
          Buffer.concat([
            encodeInboundMessage({ type: 'uuid', uuid }),
            encodeAudioFrame(0x10, Buffer.alloc(320, 1)),
            Buffer.from([0x47, 0x45, 0x54, 0x20]),
          ]),
        code: 'AUDIOSOCKET_UNKNOWN_KIND',
      },
      {
        name: 'empty audio',
        bytes: (uuid) => Buffer.concat([encodeInboundMessage({ type: 'uuid', uuid }), Buffer.from([0x10, 0, 0])]),
        code: 'AUDIOSOCKET_EMPTY_AUDIO',
      },
      {
        name: 'second UUID',
        bytes: (uuid) =>
          Buffer.concat([encodeInboundMessage({ type: 'uuid', uuid }), encodeInboundMessage({ type: 'uuid', uuid })]),
        code: 'AUDIOSOCKET_UNEXPECTED_UUID',
      },
    ];
    const rejections: AudioSocketRejection[] = [];
    h.server.on('rejected', (r) => rejections.push(r));
    const before = echoed.slice();
    for (const b of bad) {
      const uuid = h.register(b.name);
      const s = await rawConnect(h.port);
      sockets.push(s);
      // Split the bytes across two writes: the server must handle any segmentation.
      const bytes = b.bytes(uuid);
      s.write(bytes.subarray(0, 5));
      s.write(bytes.subarray(5));
      await closedByPeer(s);
      if (b.name === 'HTTP request') {
        // Never got as far as a UUID: a handshake failure, logged with the code.
        await waitFor(() => rejections.length === 1, 20_000, 'the handshake rejection');
        expect(rejections[0]).toMatchObject({ uuid: undefined, reason: 'protocol_error', error: { code: b.code } });
        expect(h.lines.some((l) => l.reason === 'protocol_error' && l.code === b.code)).toBe(true);
        continue;
      }
      // Admitted by its UUID, then closed on the bad frame, with a log line naming the call and the code.
      expect(await h.connectionClosed(uuid), b.name).toMatchObject({
        reason: 'protocol_error',
        error: { code: b.code },
      });
      const line = h.lines.find((l) => l.uuid === uuid && l.code === b.code);
      expect(line?.msg, `log line for ${b.name}`).toMatch(
        /^AudioSocket connection closed: protocol error AUDIOSOCKET_/,
      );
    }
    expect(rejections).toHaveLength(1);
    expect(h.server.counters.protocolErrors).toBe(bad.length);

    // The good calls kept flowing and finish their echo intact.
    await waitFor(() => echoed.every((n, i) => n > before[i]!), 20_000, 'the good calls to keep flowing');
    await waitFor(() => echoed.every((n) => n >= 2 * FRAMES), 60_000, 'the good calls to echo two loops');
    calls.forEach((call, i) => {
      expect(call.state, `good call ${i}`).toBe('open');
      const echo = withoutSilentFrames(call.receivedAudio(), 320);
      expect(echo.length).toBeGreaterThanOrEqual(2 * FRAMES * 320);
      expect(echo.equals(call.sentAudio().subarray(0, echo.length)), `good call ${i} echo intact`).toBe(true);
    });
    expect(h.server.connections.size).toBe(GOOD);
  });

  it('closes an admitted connection that goes quiet for idleTimeoutMs, and only that one', async () => {
    const h = await startHarness({ idleTimeoutMs: 1500 });
    harness = h;
    const talker = await dialAudioSocket({ host: h.host, port: h.port, uuid: h.register('talker') });
    calls.push(talker);
    const quiet = await dialAudioSocket({ host: h.host, port: h.port, uuid: h.register('quiet') });
    calls.push(quiet);
    quiet.pauseAudio();
    expect(await h.connectionClosed(quiet.uuid)).toEqual({ reason: 'idle_timeout' });
    expect((await quiet.closed).by).toBe('remote');
    expect(talker.state).toBe('open');
    expect(h.connections.get(talker.uuid)?.state).toBe('open');
    expect(h.server.counters.idleTimeouts).toBe(1);
    expect(
      h.lines.some(
        (l) =>
          l.uuid === quiet.uuid && l.msg === 'AudioSocket connection closed: nothing received within the idle timeout',
      ),
    ).toBe(true);
  });
  it('a connection closed by its listener before it starts never arms the idle watchdog', async () => {
    const h = await startHarness({ idleTimeoutMs: 200, onConnection: (conn) => void conn.close() });
    harness = h;
    const late = await dialAudioSocket({ host: h.host, port: h.port, uuid: h.register('late') });
    calls.push(late);
    expect(await h.connectionClosed(late.uuid)).toEqual({ reason: 'local_close' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(h.server.counters.idleTimeouts).toBe(0);
    expect(
      h.lines.some((l) => l.msg === 'AudioSocket connection closed: nothing received within the idle timeout'),
    ).toBe(false);
  });
  it('an event-loop stall longer than the idle timeout does not close calls whose frames are waiting unread', async () => {
    const h = await startHarness({ idleTimeoutMs: 300 });
    harness = h;
    const talker = await dialAudioSocket({ host: h.host, port: h.port, uuid: h.register('talker') });
    calls.push(talker);
    await waitFor(() => (h.connections.get(talker.uuid)?.stats.audioFramesIn ?? 0) >= 3, 20_000, 'audio');
    // Block the event loop for twice the idle timeout, as a long GC pause or a CPU-starved process would.
    const end = performance.now() + 700;
    while (performance.now() < end) {
      // busy
    }
    const received = talker.framesReceived;
    await waitFor(() => talker.framesReceived >= received + 10, 20_000, 'frames after the stall');
    expect(h.connections.get(talker.uuid)?.state).toBe('open');
    expect(h.server.counters.idleTimeouts).toBe(0);
  });
});
