import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { generateTone, rmsDbfs } from '../../../src/audio/tone-analysis.js';
import { WaitingCalls } from '../../../src/calls/agents/waiting-calls.js';
import { type AgentWebRtcEndpoint, mountAgentWebRtcEndpoint } from '../../../src/http/agent-webrtc-endpoint.js';
import type { Logger } from '../../../src/observability/logger.js';
import { takeWaitingCall, type WebRtcAgentSession } from '../../../src/simulator/agents/webrtc-echo-agent.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../../src/simulator/audiosocket-dialer.js';
import { legAudio, recordEvents, webrtcAgentDeps } from '../../e2e/webrtc-support.js';
import { startTestApp } from '../../support/app-harness.js';
import { toneWindowMatch } from '../../support/audio-checks.js';
import { waitFor } from '../../support/wait.js';

const TOKEN = 'desk-agent-token';
const quiet = {
  child: () => quiet,
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
} as unknown as Logger;

describe('calls waiting for an agent, taken at /v1/agent/webrtc by a program agent', () => {
  let app: App | undefined;
  let http: Server | undefined;
  let endpoint: AgentWebRtcEndpoint | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  const agents: WebRtcAgentSession[] = [];
  afterEach(async () => {
    for (const a of agents) a.close();
    for (const c of calls) await c.hangup().catch(() => {});
    await endpoint?.close();
    await new Promise<void>((done) => (http ? http.close(() => done()) : done()));
    http?.closeAllConnections();
    await app?.stop(2000);
    app = undefined;
    http = undefined;
    endpoint = undefined;
    calls.length = 0;
    agents.length = 0;
  });

  async function setup(env: Record<string, string> = {}) {
    const waitingCalls = new WaitingCalls();
    const started = await startTestApp(
      { AGENT_CONNECT_TIMEOUT_MS: '15000', AGENT_WAIT_TIMEOUT_MS: '15000', ...env },
      {
        routesJson: { routes: [{ name: 'desk', agent: { kind: 'webrtc' } }] },
        agents: webrtcAgentDeps(
          () => app,
          () => started.logs.logger,
          { waitingCalls },
        ),
      },
    );
    app = started.app;
    const events = recordEvents(app);
    http = createServer((_req, res) => res.writeHead(404).end());
    endpoint = mountAgentWebRtcEndpoint(http, {
      waitingCalls,
      authenticate: (t) => t === TOKEN,
      logger: started.logs.logger,
    });
    await new Promise<void>((done) => http!.listen(0, '127.0.0.1', done));
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/v1/agent/webrtc`;
    return { port: started.port, url, waitingCalls, events };
  }

  it('an agent waiting first takes the next call; the caller hears its echo (PCMU, 8 kHz)', async () => {
    const { port, url, events } = await setup();
    const agent = await takeWaitingCall({ url, token: TOKEN, logger: quiet });
    agents.push(agent);
    await waitFor(() => endpoint!.waitingConnections === 1, 10_000, 'agent waiting');
    const tone = generateTone({ rate: 8000, freq: 800, amplitude: 8000, ms: 20_000 });
    const call = await dialAudioSocket({
      host: '127.0.0.1',
      port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: tone },
    });
    calls.push(call);
    const incoming = await agent.waitForEvent('incoming', () => true, 15_000);
    expect(incoming).toMatchObject({ route: 'desk', media: { transport: 'webrtc', codecs: ['PCMU', 'PCMA', 'opus'] } });
    await agent.waitForEvent('answer', () => true, 15_000);
    expect(agent.codec).toBe('PCMU');
    await waitFor(() => legAudio(call).length > 8000 * 2, 20_000, 'echo at the caller');
    const m = toneWindowMatch(legAudio(call), 8000, 800, rmsDbfs(tone));
    expect(m.share).toBeGreaterThanOrEqual(0.9);
    expect(events.find((e) => e.type === 'agent.connected')?.data).toMatchObject({ kind: 'webrtc' });
    expect(endpoint!.waitingConnections).toBe(0);
  }, 60_000);

  it('a call waiting first is taken by callId; a callId that is not waiting is refused with 4404', async () => {
    const { port, url, waitingCalls } = await setup();
    const call = await dialAudioSocket({ host: '127.0.0.1', port, uuid: randomUUID() });
    calls.push(call);
    await waitFor(() => waitingCalls.list().length === 1, 10_000, 'call waiting');
    const waiting = waitingCalls.list()[0]!;
    expect(waiting.route).toBe('desk');
    const wrong = await takeWaitingCall({ url, token: TOKEN, callId: 'not-a-call', logger: quiet });
    agents.push(wrong);
    await waitFor(() => wrong.closeInfo !== undefined, 10_000, 'refusal');
    expect(wrong.closeInfo?.code).toBe(4404);
    const agent = await takeWaitingCall({ url, token: TOKEN, callId: waiting.callId, logger: quiet });
    agents.push(agent);
    const incoming = await agent.waitForEvent('incoming', () => true, 15_000);
    expect(incoming.callId).toBe(waiting.callId);
    await agent.waitForEvent('answer', () => true, 15_000);
    expect(waitingCalls.list()).toEqual([]);
  }, 60_000);

  it('a call nobody takes gets its fallback when the wait timeout ends, with the cause recorded', async () => {
    // A WebRTC route without url waits AGENT_WAIT_TIMEOUT_MS (not the connect timeout) for an agent to take the call.
    const { port, waitingCalls, events } = await setup({
      AGENT_CONNECT_TIMEOUT_MS: '60000',
      AGENT_WAIT_TIMEOUT_MS: '1500',
    });
    const call = await dialAudioSocket({ host: '127.0.0.1', port, uuid: randomUUID() });
    calls.push(call);
    await waitFor(() => waitingCalls.list().length === 1, 10_000, 'call waiting');
    await call.closed;
    await waitFor(() => app!.registry.size === 0, 10_000, 'call released');
    expect(events.find((e) => e.type === 'agent.failed')?.data).toMatchObject({ code: 'AGENT_CONNECT_TIMEOUT' });
    expect(waitingCalls.list()).toEqual([]);
  }, 30_000);
});
