import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { generateTone } from '../../src/audio/tone-analysis.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { startTestApp } from '../support/app-harness.js';
import { waitFor } from '../support/wait.js';

describe('dialplan-direct call through the running service', () => {
  let app: App | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  afterEach(async () => {
    for (const c of calls) c.hangup();
    await app?.stop(1000);
    app = undefined;
    calls.length = 0;
  });

  it('echoes the caller through the playout buffer and media clock, then ends when the caller hangs up', async () => {
    const started = await startTestApp({ DEFAULT_AGENT: 'echo' });
    app = started.app;
    const tone = generateTone({ rate: 8000, freq: 440, amplitude: 8000, ms: 1000 });
    const call = await dialAudioSocket({
      host: '127.0.0.1',
      port: started.port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: tone },
      onSourceEnd: 'silence',
    });
    calls.push(call);
    await waitFor(() => app!.registry.size === 1);
    const session = app.registry.list()[0]!;
    // Wait until the whole tone came back.
    await waitFor(() => session.bridge!.stats.framesIn >= 60 && call.framesReceived >= 80);
    const back = call.receivedAudio();
    // The echo holds the tone's samples exactly, after leading silence.
    const bytes = Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength);
    expect(back.indexOf(bytes.subarray(0, 3200))).toBeGreaterThanOrEqual(0);
    // Every frame we got back is a 20 ms slin frame.
    expect(call.received.filter((f) => f.kind === 0x10).every((f) => f.length === 320)).toBe(true);
    call.hangup();
    await session.done;
    expect(session.endSummary?.reason).toBe('caller_hangup');
    expect(session.endSummary?.initiator).toBe('caller');
    expect(app.registry.size).toBe(0);
  });

  it('rejects a connection when no route takes it', async () => {
    const started = await startTestApp({ DEFAULT_AGENT: 'none' });
    app = started.app;
    const call = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: randomUUID() });
    calls.push(call);
    const closed = await call.closed;
    expect(closed.by).toBe('remote');
    expect(app.registry.size).toBe(0);
    expect(started.logs.raw.join('\n')).toMatch(call.uuid);
  });
});

describe('dialplan-direct admission', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop(1000);
    app = undefined;
  });

  it('by default admits only UUIDs a route names (or the API registered), not any UUID', async () => {
    const named = randomUUID();
    const started = await startTestApp(
      { AUDIOSOCKET_ALLOW_ANY_UUID: 'false' },
      {
        routesJson: {
          routes: [
            { name: 'named', match: { audiosocketUuids: [named] }, agent: { kind: 'echo' } },
            { name: 'any', agent: { kind: 'echo' } },
          ],
        },
      },
    );
    app = started.app;
    const stranger = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: randomUUID() });
    expect((await stranger.closed).by).toBe('remote');
    const known = await dialAudioSocket({ host: '127.0.0.1', port: started.port, uuid: named });
    try {
      await waitFor(() => app!.registry.size === 1);
      expect(app.registry.list()[0]!.info.route.name).toBe('named');
    } finally {
      await known.hangup();
    }
    expect(started.logs.raw.join('\n')).toMatch(stranger.uuid);
  });
});
