import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { sileroWindowShape } from '../../../src/calls/vad/silero-model.js';
import type { VadWindowListener } from '../../../src/calls/vad/vad-channel.js';
import { VadEngine } from '../../../src/calls/vad/vad-engine.js';
import type { VadError } from '../../../src/calls/vad/vad-error.js';
import { readSpeechWav, record, whenScored } from './vad-test-support.js';

/** Overflow policy, in-order delivery and close(), on the real model. */

type Outcome = ['p', number] | ['d'] | ['s'] | ['e', string];

/** A raw channel listener that records outcomes and resolves `settled` after `expected` of them. */
function recorder(expected: number) {
  const outcomes: Outcome[] = [];
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const push = (o: Outcome) => {
    outcomes.push(o);
    if (outcomes.length === expected) settle();
  };
  const listener: VadWindowListener = {
    onProbability: (p) => push(['p', p]),
    onDropped: () => push(['d']),
    onSkipped: () => push(['s']),
    onError: (e) => push(['e', e.code]),
  };
  return { outcomes, settled, listener };
}

/** 8 kHz windows cut from the hello fixture (context included), as VadStream would submit them. */
function windows8k(count: number): Float32Array[] {
  const pcm = readSpeechWav('hello-8k.wav').samples;
  const { windowSamples, contextSamples, inputSize } = sileroWindowShape(8000);
  return Array.from({ length: count }, (_, k) => {
    const w = new Float32Array(inputSize);
    for (let j = 0; j < inputSize; j++) {
      const src = k * windowSamples - contextSamples + j;
      w[j] = src < 0 ? 0 : (pcm[src] ?? 0) / 32768;
    }
    return w;
  });
}

async function withEngine<T>(options: Parameters<typeof VadEngine.start>[0], fn: (e: VadEngine) => Promise<T>) {
  const engine = await VadEngine.start(options);
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

describe('VadEngine overflow policy', () => {
  it('drops the oldest waiting windows of a stream beyond maxPendingPerStream, and counts them', async () => {
    await withEngine({ maxPendingPerStream: 4 }, async (engine) => {
      const ws = windows8k(20);
      const all = recorder(20);
      const ch = engine.openChannel(8000, all.listener);
      for (const w of ws) ch.submit(w.slice());
      await all.settled;
      expect(all.outcomes.slice(0, 16)).toEqual(Array(16).fill(['d']));
      expect(all.outcomes.slice(16).map((o) => o[0])).toEqual(['p', 'p', 'p', 'p']);
      expect(engine.stats()).toMatchObject({ windowsDropped: 16, windowsInferred: 4, pendingWindows: 0 });

      // The four kept are the newest: a fresh channel given only windows 16..19 scores them identically.
      const ref = recorder(4);
      const refCh = engine.openChannel(8000, ref.listener);
      for (const w of ws.slice(16)) refCh.submit(w.slice());
      await ref.settled;
      expect(all.outcomes.slice(16)).toEqual(ref.outcomes);
      ch.close();
      refCh.close();
    });
  });

  it('reports a drop decided while an earlier window is in flight after that window, in order', async () => {
    await withEngine({ maxPendingPerStream: 2 }, async (engine) => {
      const ws = windows8k(8);
      const r = recorder(8);
      const ch = engine.openChannel(8000, r.listener);
      ch.submit(ws[0]!);
      await nextTurn(); // the dispatch scheduled by the first window has run: it is in flight
      expect(engine.stats().inFlightWindows).toBe(1);
      for (const w of ws.slice(1)) ch.submit(w);
      await r.settled;
      expect(r.outcomes.map((o) => o[0])).toEqual(['p', 'd', 'd', 'd', 'd', 'd', 'p', 'p']);
      ch.close();
    });
  });

  it('reports a skip after the windows submitted before it, in order, and counts it', async () => {
    await withEngine({}, async (engine) => {
      const ws = windows8k(3);
      const r = recorder(5);
      const ch = engine.openChannel(8000, r.listener);
      ch.submit(ws[0]!);
      ch.submit(ws[1]!);
      ch.skip();
      ch.submit(ws[2]!);
      ch.skip();
      expect(r.outcomes).toEqual([]);
      await r.settled;
      expect(r.outcomes.map((o) => o[0])).toEqual(['p', 'p', 's', 'p', 's']);
      expect(engine.stats()).toMatchObject({ windowsSkipped: 2, windowsInferred: 3 });
      ch.close();
    });
  });

  it('beyond maxPendingTotal drops from the stream with the longest queue', async () => {
    await withEngine({ maxPendingPerStream: 100, maxPendingTotal: 6 }, async (engine) => {
      const ws = windows8k(5);
      const a = recorder(5);
      const b = recorder(3);
      const chA = engine.openChannel(8000, a.listener);
      const chB = engine.openChannel(8000, b.listener);
      for (const w of ws) chA.submit(w.slice());
      for (const w of ws.slice(0, 3)) chB.submit(w.slice());
      await Promise.all([a.settled, b.settled]);
      expect(a.outcomes.map((o) => o[0])).toEqual(['d', 'd', 'p', 'p', 'p']);
      expect(b.outcomes.map((o) => o[0])).toEqual(['p', 'p', 'p']);
      expect(engine.stats().windowsDropped).toBe(2);
      chA.close();
      chB.close();
    });
  });

  it('a VadStream pushed faster than inference keeps its time line: drops count as repeats', async () => {
    await withEngine({ maxPendingPerStream: 3 }, async (engine) => {
      const stream = engine.createStream({ sampleRate: 8000 });
      try {
        const got = record(stream);
        stream.push(readSpeechWav('hello-8k.wav').samples); // 89 windows at once
        await whenScored(stream);
        expect(stream.stats.windowsSubmitted).toBe(89);
        expect(stream.stats.windowsDropped).toBe(86);
        expect(stream.stats.windowsScored).toBe(3);
        expect(got.probabilities).toHaveLength(89);
        expect(stream.scoredMs).toBe(89 * 32);
      } finally {
        stream.close();
      }
    });
  });
});

describe('VadEngine channels', () => {
  it('refuses a raw channel at a rate the model does not run at', async () => {
    await withEngine({}, async (engine) => {
      const r = recorder(1);
      expect(() => engine.openChannel(24000 as 8000, r.listener)).toThrow(
        expect.objectContaining({ code: 'VAD_UNSUPPORTED_RATE' }),
      );
      expect(engine.stats().streams).toBe(0);
    });
  });
});

describe('VadEngine listeners', () => {
  it('a throwing listener is counted and does not disturb other streams', async () => {
    await withEngine({}, async (engine) => {
      const ws = windows8k(6);
      const good = recorder(6);
      let thrown = 0;
      const bad = engine.openChannel(8000, {
        onProbability: () => {
          thrown++;
          throw new Error('listener bug');
        },
        onDropped: () => {},
        onSkipped: () => {},
        onError: () => {},
      });
      const ok = engine.openChannel(8000, good.listener);
      for (const w of ws) {
        bad.submit(w.slice());
        ok.submit(w.slice());
      }
      await good.settled;
      expect(good.outcomes.map((o) => o[0])).toEqual(Array(6).fill('p'));
      expect(thrown).toBe(6);
      expect(engine.stats().listenerErrors).toBe(thrown);
      bad.close();
      ok.close();
    });
  });
});

describe('VadEngine close()', () => {
  it('is idempotent, fails open streams with VAD_ENGINE_CLOSED and refuses new ones', async () => {
    const engine = await VadEngine.start();
    const stream = engine.createStream({ sampleRate: 16000 });
    const failures: VadError[] = [];
    stream.on('failed', (e) => failures.push(e));
    stream.push(new Int16Array(16000)); // 31 windows, some still queued or in flight at close
    const first = engine.close();
    const second = engine.close();
    expect(second).toBe(first);
    await first;
    await engine.close();
    expect(engine.state).toBe('closed');
    expect(failures.map((e) => e.code)).toEqual(['VAD_ENGINE_CLOSED']);
    expect(engine.stats()).toMatchObject({ streams: 0, pendingWindows: 0, inFlightWindows: 0 });
    expect(() => engine.createStream({ sampleRate: 8000 })).toThrow(
      expect.objectContaining({ code: 'VAD_ENGINE_CLOSED' }),
    );
    stream.push(new Int16Array(16000));
    stream.close();
    stream.close();
    expect(stream.closed).toBe(true);
  });

  it('waits for a job in flight: closing mid-inference neither aborts the process nor delivers late results', async () => {
    const engine = await VadEngine.start();
    const streams = Array.from({ length: 300 }, () => engine.createStream({ sampleRate: 16000 }));
    let delivered = 0;
    const failures: string[] = [];
    for (const s of streams) {
      s.on('probability', () => delivered++);
      s.on('failed', (e) => failures.push(e.code));
      s.push(new Int16Array(512));
    }
    await nextTurn(); // dispatched: 300 windows in one inference
    expect(engine.stats().inFlightWindows).toBe(300);
    await engine.close();
    expect(delivered).toBe(0);
    expect(failures).toEqual(Array(300).fill('VAD_ENGINE_CLOSED'));
    // Still here: terminating a thread inside onnxruntime would have aborted this process.
    const again = await VadEngine.start();
    await again.close();
  });

  it('a closed stream leaves the engine and gets no more results', async () => {
    await withEngine({}, async (engine) => {
      const closing = engine.createStream({ sampleRate: 8000 });
      const other = engine.createStream({ sampleRate: 8000 });
      const probabilities: number[] = [];
      closing.on('probability', (p) => probabilities.push(p.probability));
      closing.push(new Int16Array(2048)); // 8 windows: within maxPendingPerStream, nothing dropped
      other.push(new Int16Array(2048));
      expect(probabilities).toEqual([]);
      closing.close();
      await whenScored(other);
      expect(probabilities).toEqual([]);
      expect(engine.stats().streams).toBe(1);
      other.close();
      expect(engine.stats()).toMatchObject({ streams: 0, pendingWindows: 0 });
    });
  });
});
