import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { burstyCallerAudio, callerTape, OnsetDetector } from '../../../bench/lib/tone-onsets.js';
import { runLoad } from '../../../bench/loadgen/run-load.js';

/** A raw AudioSocket echo server with known faults: a fixed delay, every n-th frame dropped, every frame repeated. */
function startFaultyEcho(fault: { delayMs: number; dropEvery?: number; repeat?: boolean }): Promise<Server> {
  const server = createServer((socket) => {
    let pending = Buffer.alloc(0);
    let audioFrames = 0;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 3) {
        const length = pending.readUInt16BE(1);
        if (pending.length < 3 + length) break;
        const frame = pending.subarray(0, 3 + length);
        pending = pending.subarray(3 + length);
        const kind = frame[0]!;
        if (kind !== 0x10 && kind !== 0x12) continue;
        audioFrames += 1;
        if (fault.dropEvery && audioFrames % fault.dropEvery === 0) continue;
        setTimeout(() => {
          if (socket.writable) socket.write(frame);
          if (fault.repeat && socket.writable) socket.write(frame);
        }, fault.delayMs);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Runs 4 calls for 2 s against a faulty echo server (closed afterwards). */
async function measure(fault: Parameters<typeof startFaultyEcho>[0]) {
  const server = await startFaultyEcho(fault);
  try {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return await runLoad({
      target: { host: '127.0.0.1', port: address.port },
      calls: 4,
      seconds: 2,
      warmupS: 0.5,
      inline: true,
      pin: false,
      // Bursts every 500 ms, so a 2 s window holds about 4 per call.
      bursts: { periodMs: 500 },
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
}

// The three runs are independent (own server, own callers): run them side by side.
describe.concurrent('load generator against an AudioSocket echo server with known faults', () => {
  it('measures a 100 ms echo delay as ~100 ms round trip, with no loss and no duplicates', async ({ expect }) => {
    const r = await measure({ delayMs: 100 });
    expect(r.latency.roundTrip.count).toBeGreaterThanOrEqual(12);
    expect(r.latency.roundTrip.p50Ms).toBeGreaterThan(100 - 25);
    expect(r.latency.roundTrip.p50Ms).toBeLessThan(100 + 25);
    // (No bound on p99: on a loaded machine the in-process server's own timers run late.)
    expect(r.downlink.lostPct).toBeLessThan(1);
    expect(r.downlink.duplicateFrames).toBe(0);
    expect(r.downlink.fpsPerCallP50).toBeGreaterThan(48);
    expect(r.calls.avgConcurrent).toBeCloseTo(4, 0);
  });

  it('counts the frames a server drops (every 10th)', async ({ expect }) => {
    const r = await measure({ delayMs: 10, dropEvery: 10 });
    expect(r.downlink.lostPct).toBeGreaterThan(7);
    expect(r.downlink.lostPct).toBeLessThan(13);
    expect(r.downlink.duplicateFrames).toBe(0);
    expect(r.downlink.gaps.pctOver30Ms).toBeGreaterThan(5);
  });

  it('counts the frames a server repeats', async ({ expect }) => {
    const r = await measure({ delayMs: 10, repeat: true });
    expect(r.downlink.lostPct).toBeLessThan(1);
    // Every frame arrives twice: half of what arrives is a repeat.
    expect(r.downlink.duplicateFrames / r.downlink.framesReceived).toBeGreaterThan(0.4);
    expect(r.downlink.duplicateFrames / r.downlink.framesReceived).toBeLessThan(0.6);
  });
});

describe('tone-burst onsets', () => {
  // Speech-like noise under the bursts: a deterministic mix of tones away from 1 kHz.
  const speech = Int16Array.from({ length: 8000 }, (_, i) =>
    Math.round(8000 * Math.sin(i * 0.37) + 6000 * Math.sin(i * 1.9) + 3000 * Math.sin(i * 0.05)),
  );

  /** Frames of the caller's audio re-framed `shift` samples late, each "arriving" at 20 ms × its index. */
  function onsetsAfterReframing(shift: number): { sentFrames: number[]; onsets: number[] } {
    const audio = burstyCallerAudio(speech, 8000, 7, { periodMs: 500 });
    const stream: number[] = [];
    const sentFrames: number[] = [];
    for (let k = 0; k < 150; k++) {
      const frame = audio.next(k);
      if (frame.onset) sentFrames.push(k);
      stream.push(...frame.samples);
    }
    const detector = new OnsetDetector(8000);
    const onsets: number[] = [];
    for (let k = 1; k < 150; k++) {
      const out = Int16Array.from(stream.slice(k * 160 - shift, (k + 1) * 160 - shift));
      const at = detector.push(Buffer.from(out.buffer), k * 20);
      if (at !== undefined) onsets.push(at);
    }
    return { sentFrames, onsets };
  }

  it('finds every burst, at the frame that starts it', () => {
    const { sentFrames, onsets } = onsetsAfterReframing(0);
    expect(sentFrames).toEqual([7, 32, 57, 82, 107, 132]);
    expect(onsets).toEqual(sentFrames.map((k) => k * 20));
  });

  it('places an onset inside a re-framed frame to the sample', () => {
    // 40 samples late: the burst starts 40 samples (5 ms) into the frame that arrives with the original onset frame.
    const { sentFrames, onsets } = onsetsAfterReframing(40);
    expect(onsets).toHaveLength(sentFrames.length);
    for (const [i, t] of onsets.entries()) expect(Math.abs(t - (sentFrames[i]! * 20 + 5))).toBeLessThanOrEqual(0.25);
  });

  it('plays the pre-rendered callers audio with each call at its own burst phase, frames never repeating', () => {
    const tape = callerTape(speech, 8000, { periodMs: 500 });
    for (const [phaseFrames, speechOffset] of [
      [7, 0],
      [0, 123_456],
      [24, 4000],
    ] as const) {
      const call = tape.caller(phaseFrames, speechOffset);
      const detector = new OnsetDetector(8000);
      const sent: number[] = [];
      const seen: number[] = [];
      let repeats = 0;
      let prev: Int16Array | undefined;
      // 40 s: past the end of the 30 s tape, which loops.
      for (let k = 0; k < 2000; k++) {
        const frame = call.next(k);
        if (frame.onset) sent.push(k);
        if (prev && prev.every((x, i) => x === frame.samples[i])) repeats += 1;
        prev = Int16Array.from(frame.samples);
        const at = detector.push(Buffer.from(prev.buffer), k * 20);
        if (at !== undefined) seen.push(at);
      }
      // Bursts where burstyCallerAudio puts them for that phase: every 25 frames from phaseFrames.
      expect(sent).toEqual(Array.from({ length: 80 }, (_, i) => phaseFrames + 25 * i).filter((k) => k < 2000));
      // (A call may start in the tail of a burst; an onset is confirmed by the frame after it.)
      expect(seen.filter((t) => t >= 100)).toEqual(sent.filter((k) => k >= 5 && k < 1999).map((k) => k * 20));
      expect(repeats).toBe(0);
    }
    // The tape is burstyCallerAudio's audio: a call at phase 0 from the start plays exactly its frames.
    const direct = burstyCallerAudio(speech, 8000, 0, { periodMs: 500 }, 0);
    const call = tape.caller(0, 0);
    for (let k = 0; k < 60; k++) expect(Array.from(call.next(k).samples)).toEqual(Array.from(direct.next(k).samples));
  });
});
