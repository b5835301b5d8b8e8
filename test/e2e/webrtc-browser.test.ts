import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTone, goertzelPower } from '../../src/audio/tone-analysis.js';
import type { WebRtcAgent } from '../../src/calls/agents/webrtc-agent.js';
import { WaitingCalls } from '../../src/calls/agents/waiting-calls.js';
import { type AgentWebRtcEndpoint, mountAgentWebRtcEndpoint } from '../../src/http/agent-webrtc-endpoint.js';
import { writeWavFile } from '../../src/simulator/audio/wav.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { waitFor } from '../support/wait.js';
import { legAudio, recordEvents, webrtcAgentDeps } from './webrtc-support.js';
import { launchChromium } from '../support/browser.js';

const TOKEN = 'lab-agent-token';

interface PageState {
  status: string;
  events: string[];
  codec: string | undefined;
  remote: { rmsDb: number; peakHz: number; frames: number; loudFrames: number; peaks: number[] };
}

describe('headless Chromium as the agent, through the lab page and /v1/agent/webrtc', () => {
  let h: AriHarness | undefined;
  let browser: Browser | undefined;
  let http: Server | undefined;
  let endpoint: AgentWebRtcEndpoint | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await browser?.close().catch(() => {});
    await endpoint?.close();
    await new Promise<void>((done) => (http ? http.close(() => done()) : done()));
    http?.closeAllConnections();
    await h?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    browser = undefined;
    http = undefined;
    endpoint = undefined;
    h = undefined;
    dir = undefined;
  });

  it('takes a waiting call, hears the caller (tone in WebAudio), and the caller hears its WAV microphone', async () => {
    dir = await mkdtemp(join(tmpdir(), 'webrtc-browser-'));
    // The fake microphone: a 700 Hz tone, looped by Chromium.
    const wav = join(dir, 'mic.wav');
    await writeWavFile(wav, {
      sampleRate: 48000,
      channels: 1,
      samples: generateTone({ rate: 48000, freq: 700, amplitude: 9000, ms: 3000 }),
    });
    const waitingCalls = new WaitingCalls();
    h = await startAriHarness(
      { AGENT_CONNECT_TIMEOUT_MS: '30000' },
      {
        routesJson: { routes: [{ name: 'desk', audioFormat: 'slin16', agent: { kind: 'webrtc' } }] },
        agents: webrtcAgentDeps(
          () => h?.app,
          () => h!.logs.logger,
          { waitingCalls },
        ),
      },
    );
    const events = recordEvents(h.app);
    http = createServer((req, res) => {
      if (!endpoint?.handleRequest(req, res)) res.writeHead(404).end();
    });
    endpoint = mountAgentWebRtcEndpoint(http, {
      waitingCalls,
      authenticate: (token) => token === TOKEN,
      labPage: {},
      logger: h.logs.logger,
    });
    await new Promise<void>((done) => http!.listen(0, '127.0.0.1', done));
    const { port } = http.address() as AddressInfo;

    browser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required',
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ]);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/lab/webrtc-agent/?token=${TOKEN}&autoAnswer=1&processing=off`);
    await waitFor(() => endpoint!.waitingConnections === 1, 20_000, 'the page waiting for a call');

    const callerTone = generateTone({ rate: 16000, freq: 1000, amplitude: 8000, ms: 60_000 });
    const caller = await h.sim.placeInboundCall({
      caller: '+4930555',
      audio: { type: 'samples', samples: callerTone },
    });
    // The page answered, negotiated and hears the caller's 1 kHz tone in WebAudio.
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { agentState: PageState }).agentState;
        return s.remote.loudFrames >= 10 && s.remote.peaks.slice(-5).every((p) => Math.abs(p - 1000) <= 25);
      },
      undefined,
      { timeout: 30_000, polling: 200 },
    );
    const state = (await page.evaluate(
      () => (globalThis as unknown as { agentState: PageState }).agentState,
    )) as PageState;
    expect(state.events.slice(0, 2)).toEqual(['incoming', 'offer']);
    expect(state.events).toContain('answer');
    // The microphone is one continuous stream: one utterance, not one per packet.
    expect(state.events.filter((e) => e === 'trackStart')).toHaveLength(1);
    expect(state.remote.rmsDb).toBeGreaterThan(-40);
    const session = h.app.registry.list()[0]!;
    const rtc = session.agent as WebRtcAgent;
    expect(rtc.stats.codec).toBe('opus');
    expect(state.codec?.toLowerCase()).toBe('opus');
    expect(events.find((e) => e.type === 'webrtc.negotiated')?.data).toMatchObject({ codec: 'opus' });
    // The simulated AudioSocket (towards the caller) receives the page's microphone: the 700 Hz WAV.
    await waitFor(() => h!.media.length === 1 && legAudio(h!.media[0]!).length > 16000 * 2, 30_000, 'browser audio');
    const heard = legAudio(h.media[0]!);
    const last = heard.subarray(heard.length - 16000, heard.length);
    let energy = 0;
    for (const v of last) energy += v * v;
    expect(energy / last.length).toBeGreaterThan(100 * 100);
    expect(goertzelPower(last, 16000, 700) / (energy / last.length)).toBeGreaterThan(0.5);
    await caller.hangup();
    await page.waitForFunction(
      () => (globalThis as unknown as { agentState: PageState }).agentState.events.includes('hangup'),
      undefined,
      { timeout: 10_000 },
    );
    await waitFor(() => h!.app.registry.size === 0, 10_000, 'call released');
  }, 90_000);

  it('refuses a connection without the token (HTTP 401 before any WebSocket)', async () => {
    const waitingCalls = new WaitingCalls();
    http = createServer((_req, res) => res.writeHead(404).end());
    const logger = (await import('pino')).default({ level: 'silent' });
    endpoint = mountAgentWebRtcEndpoint(http, { waitingCalls, authenticate: (t) => t === TOKEN, logger });
    await new Promise<void>((done) => http!.listen(0, '127.0.0.1', done));
    const { port } = http.address() as AddressInfo;
    const { WebSocket } = await import('ws');
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/agent/webrtc?access_token=wrong`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(status).toBe(401);
    expect(waitingCalls.waitingAgents).toBe(0);
    const notWaiting = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/agent/webrtc?callId=nope`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      ws.on('close', (code) => resolve(code));
      ws.on('error', () => {});
    });
    expect(notWaiting).toBe(4404);
  });
});
