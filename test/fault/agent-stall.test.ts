import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import type { App } from '../../src/app.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { startTestApp } from '../support/app-harness.js';
import { waitFor } from '../support/wait.js';

/** Send and receive queue bytes of loopback TCP sockets whose local port is `port` (Linux /proc/net/tcp). */
function tcpQueues(port: number): { tx: number; rx: number }[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 4 && f[1]!.endsWith(`:${hexPort}`) && f[3] === '01')
    .map((f) => {
      const [tx, rx] = f[4]!.split(':');
      return { tx: Number.parseInt(tx!, 16), rx: Number.parseInt(rx!, 16) };
    });
}

/** A native-protocol agent that accepts the call, then never reads again (its TCP receive window fills). */
async function startStallingAgent(): Promise<{
  url: string;
  port: number;
  peers: WebSocket[];
  close(): Promise<void>;
}> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const peers: WebSocket[] = [];
  wss.on('connection', (ws) => {
    peers.push(ws);
    ws.once('message', () => {
      ws.send(JSON.stringify({ command: 'accept' }));
      ws.pause();
    });
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    port,
    peers,
    close: () =>
      new Promise((resolve) => {
        for (const p of peers) p.terminate();
        wss.close(() => resolve());
      }),
  };
}

describe('an agent that stops reading (TCP window full)', () => {
  let app: App | undefined;
  let good: NativeEchoAgent | undefined;
  let stalling: Awaited<ReturnType<typeof startStallingAgent>> | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  afterEach(async () => {
    for (const c of calls.splice(0)) await c.hangup().catch(() => {});
    await app?.stop(2000);
    await good?.close();
    await stalling?.close();
    app = good = stalling = undefined;
  });

  it('does not stall the other calls, nor its own caller’s downlink; its call ends normally with a reason', async () => {
    const SECRET = 'stall-secret';
    good = await startNativeEchoAgent({ mode: 'echo', secret: SECRET, maxRecordedAudioBytes: 0 });
    stalling = await startStallingAgent();
    const stalledUuid = randomUUID();
    const started = await startTestApp(
      { AGENT_SECRET: SECRET },
      {
        routesJson: {
          routes: [
            {
              name: 'stalling',
              match: { audiosocketUuids: [stalledUuid] },
              // 24 kHz to the agent: the fastest audio stream, so the window fills soonest.
              agent: { kind: 'websocket', url: stalling.url, sampleRate: 24000 },
            },
            { name: 'good', agent: { kind: 'websocket', url: good.url, secretEnv: 'AGENT_SECRET' } },
          ],
        },
      },
    );
    app = started.app;
    const endings = new Map<string, string>();
    app.registry.on('added', (s) =>
      s.on('ended', (sum) => endings.set(String(s.info.customParameters.audiosocketUuid), sum.reason)),
    );
    const tone = new Int16Array(1600).map((_, i) => Math.round(7000 * Math.sin(i / 5)));
    const echoed = new Map<string, number>();
    const downlink = new Map<string, number>();
    const dial = async (uuid: string) => {
      const c = await dialAudioSocket({
        host: '127.0.0.1',
        port: started.port,
        uuid,
        source: { type: 'samples', samples: tone, loop: true },
        recordReceived: false,
        recordSent: false,
        onFrame: (f) => {
          if (f.kind !== 0x10) return;
          downlink.set(uuid, (downlink.get(uuid) ?? 0) + 1);
          if (f.payload?.some((b) => b !== 0)) echoed.set(uuid, (echoed.get(uuid) ?? 0) + 1);
        },
      });
      calls.push(c);
      return c;
    };
    const stalled = await dial(stalledUuid);
    const goodUuids = Array.from({ length: 5 }, () => randomUUID());
    await Promise.all(goodUuids.map(dial));
    await waitFor(() => stalling!.peers.length === 1, 10_000, 'the stalling agent connected');
    await waitFor(() => goodUuids.every((u) => (echoed.get(u) ?? 0) > 10), 15_000, 'good calls echoing');

    // Wait until the window towards the stalling agent is really full: its receive queue stops growing while
    // the adapter's side has unsent bytes queued.
    let lastRx = -1;
    let stableFor = 0;
    await waitFor(
      () => {
        const agentSide = tcpQueues(stalling!.port);
        const rx = agentSide.reduce((n, q) => n + q.rx, 0);
        stableFor = rx > 0 && rx === lastRx ? stableFor + 1 : 0;
        lastRx = rx;
        return stableFor >= 20;
      },
      90_000,
      'the stalling agent’s TCP receive window to fill',
    );

    // Now, with the window full, over the next 2 s every caller keeps getting ~50 frames/s: the good ones their
    // echo, the stalled one its downlink (silence).
    const echoBefore = new Map(goodUuids.map((u) => [u, echoed.get(u) ?? 0]));
    const downBefore = downlink.get(stalledUuid) ?? 0;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const seconds = (performance.now() - t0) / 1000;
    for (const u of goodUuids) {
      expect((echoed.get(u) ?? 0) - echoBefore.get(u)!, `good call ${u}`).toBeGreaterThan(seconds * 50 * 0.6);
    }
    expect((downlink.get(stalledUuid) ?? 0) - downBefore).toBeGreaterThan(seconds * 50 * 0.6);
    expect(app.registry.size).toBe(6);

    // The stalled call still ends cleanly, with a reason, when its caller hangs up.
    await stalled.hangup();
    await waitFor(() => endings.has(stalledUuid), 10_000, 'the stalled call ended');
    expect(endings.get(stalledUuid)).toBe('caller_hangup');
    expect(app.registry.size).toBe(5);
  }, 150_000);
});
