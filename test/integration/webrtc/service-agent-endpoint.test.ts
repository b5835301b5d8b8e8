import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { generateTone, rmsDbfs } from '../../../src/audio/tone-analysis.js';
import { takeWaitingCall, type WebRtcAgentSession } from '../../../src/simulator/agents/webrtc-echo-agent.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../../src/simulator/audiosocket-dialer.js';
import { legAudio } from '../../e2e/webrtc-support.js';
import { startTestApp } from '../../support/app-harness.js';
import { toneWindowMatch } from '../../support/audio-checks.js';
import { waitFor } from '../../support/wait.js';

const CONTROL = 'desk-control-token-0123456789';
const READ = 'desk-read-token-0123456789ab';

// In one process, and with media workers: a dialplan-direct call handed to a worker, its agent's connection after it.
describe.each([
  { workers: 0, label: 'in one process' },
  { workers: 2, label: 'with 2 media workers' },
])('the running service takes waiting WebRTC calls at /v1/agent/webrtc ($label)', ({ workers }) => {
  let app: App | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  const agents: WebRtcAgentSession[] = [];
  afterEach(async () => {
    for (const a of agents) a.close();
    for (const c of calls) await c.hangup().catch(() => undefined);
    await app?.stop(2000);
    app = undefined;
    calls.length = 0;
    agents.length = 0;
  });

  it('a control-token agent takes the call and the caller hears it; a read token is refused', async () => {
    const started = await startTestApp(
      {
        HTTP_ENABLED: 'true',
        API_TOKENS: `desk:control:${CONTROL},watch:read:${READ}`,
        LAB_MODE: 'true',
        MEDIA_WORKERS: String(workers),
      },
      { routesJson: { routes: [{ name: 'desk', agent: { kind: 'webrtc' } }] } },
    );
    app = started.app;
    const base = `127.0.0.1:${app.http!.address!.port}`;
    const url = `ws://${base}/v1/agent/webrtc`;
    await expect(takeWaitingCall({ url, token: READ, logger: started.logs.logger })).rejects.toThrow(/401/);
    const lab = await fetch(`http://${base}/lab/webrtc-agent/`);
    expect(lab.status).toBe(200);
    const agent = await takeWaitingCall({ url, token: CONTROL, logger: started.logs.logger });
    agents.push(agent);
    const tone = generateTone({ rate: 8000, freq: 800, amplitude: 8000, ms: 20_000 });
    const call = await dialAudioSocket({
      host: '127.0.0.1',
      port: started.port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: tone },
    });
    calls.push(call);
    const incoming = await agent.waitForEvent('incoming', () => true, 15_000);
    expect(incoming).toMatchObject({ route: 'desk' });
    const worker = app.mediaWorkers?.workerOf(String(incoming.callId));
    if (workers === 0) expect(worker).toBeUndefined();
    else expect(worker).toBeTypeOf('number');
    await waitFor(() => legAudio(call).length > 8000 * 2, 20_000, 'echo at the caller');
    const m = toneWindowMatch(legAudio(call), 8000, 800, rmsDbfs(tone));
    expect(m.share).toBeGreaterThanOrEqual(0.9);
  }, 60_000);
});
