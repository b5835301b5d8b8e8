import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../app.js';
import { pcmSamples } from '../audio/format.js';
import type { CallLifecycleEvent } from '../calls/call-session.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../observability/logger.js';
import type { AdapterEvent } from '../protocols/agent/index.js';
import type { SimulatedAudioSocketCall } from '../simulator/audiosocket-dialer.js';
import { audioSocketDialerLink } from '../simulator/ari/audiosocket-dialer-link.js';
import { startSimulatedAsterisk } from '../simulator/ari/simulated-asterisk.js';
import { startNativeEchoAgent } from '../simulator/agents/native-echo-agent.js';
import { writeWavFile } from '../simulator/audio/wav.js';

export interface DemoOptions {
  outDir: string;
  maxSeconds: number;
}

/** What the simulated caller says: "Hello, I would like to book a table for two people tonight." (espeak-ng). */
const CALLER_WAV = fileURLToPath(new URL('../../examples/audio/caller-hello-8k.wav', import.meta.url));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * `ava demo`: one whole call through the real service, no PBX and no API key: a simulated Asterisk 22 (ARI +
 * AudioSocket, as recorded from a real one) sends a caller into the Stasis app; the service answers, bridges, opens
 * the AudioSocket and connects the example agent over the native WebSocket protocol (parrot mode: it repeats what
 * the caller said once they stop speaking, detected by the service's VAD). Prints the events as they happen and
 * writes a stereo WAV (caller left, agent right) and a summary.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const t0 = performance.now();
  const say = (who: string, what: string) =>
    process.stdout.write(`${((performance.now() - t0) / 1000).toFixed(3).padStart(7)}s  ${who.padEnd(9)} ${what}\n`);
  const secret = 'demo-secret';
  const legs: SimulatedAudioSocketCall[] = [];
  const sim = await startSimulatedAsterisk({
    username: 'adapter',
    password: 'demo-password',
    audioSocket: { dial: audioSocketDialerLink({ onCall: (c) => legs.push(c) }) },
  });
  const agent = await startNativeEchoAgent({
    mode: 'parrot',
    secret,
    onEvent: (_s, e: AdapterEvent) => {
      const { event, callId: _c, timestamp: _t, ...rest } = e as AdapterEvent & Record<string, unknown>;
      const detail =
        event === 'incoming'
          ? `route=${rest.route} caller=${rest.caller} audio=${JSON.stringify(rest.audio)}`
          : JSON.stringify(rest);
      say('agent', `<- ${event} ${detail === '{}' ? '' : detail}`);
    },
  });
  const routes = JSON.stringify({
    routes: [
      {
        name: 'parrot',
        agent: { kind: 'websocket', url: agent.url, secretEnv: 'DEMO_AGENT_SECRET', sampleRate: 16000 },
      },
    ],
  });
  const config = loadConfig({
    env: {
      ...process.env,
      AUDIOSOCKET_HOST: '127.0.0.1',
      AUDIOSOCKET_PORT: '0',
      HTTP_PORT: '0',
      ARI_URL: sim.url,
      ARI_USERNAME: 'adapter',
      ARI_PASSWORD: 'demo-password',
      ROUTES_FILE: 'demo-routes.json',
      DEMO_AGENT_SECRET: secret,
      VAD: process.env.VAD ?? 'silero',
      // The demo places its call itself: no REST API (and so no API_TOKENS warning).
      HTTP_ENABLED: 'false',
      // MEDIA_WORKERS as `ava serve` takes it (default: the cores available, less one above two), so the call's
      // media runs on a media worker; the workers log like the service: warnings only, readable.
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      LOG_PRETTY: process.env.LOG_PRETTY ?? 'true',
    },
    readFile: () => routes,
  });
  // Warnings and errors only, one readable line each (LOG_LEVEL=info shows the service's own log).
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: true });
  const app = createApp(config, { logger });
  try {
    const workers = config.mediaWorkers;
    // Where the call's media ran: the media worker's slot, or `primary` (MEDIA_WORKERS=0).
    let mediaWorker: number | 'primary' | undefined;
    say(
      'service',
      `starting (simulated Asterisk 22 on loopback, example agent, VAD, ${workers === 0 ? 'media in this process' : `${workers} media worker${workers === 1 ? '' : 's'}`})`,
    );
    await app.start();
    app.registry.on('added', (session) => {
      say(
        'service',
        `call ${session.id.slice(0, 8)} from ${session.info.caller ?? '?'} to ${session.info.callee ?? '?'}, route ${session.info.route.name}`,
      );
      session.on('event', (e: CallLifecycleEvent) => {
        say('service', `${e.type} ${JSON.stringify(e.data)}`);
        if (e.type === 'media.connected') mediaWorker = e.data.worker ?? 'primary';
      });
    });
    say('asterisk', 'caller +15551234 dials 100 -> Stasis(voice-adapter)');
    const caller = await sim.placeInboundCall({
      caller: '+15551234',
      extension: '100',
      audio: { type: 'wav', path: CALLER_WAV },
    });
    // The call lasts until the agent has repeated the sentence (its trackEnd), or maxSeconds.
    const session = await agent.waitForSession(0, 10_000);
    await session.waitForEvent('trackEnd', () => true, options.maxSeconds * 1000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    say('asterisk', 'caller hangs up');
    await caller.hangup();
    await app.registry.whenIdle(AbortSignal.timeout(5000));

    const leg = legs[0];
    if (!leg) throw new Error('the simulated Asterisk never opened the AudioSocket');
    const sent = leg.sentAudio();
    const received = Buffer.concat(leg.received.filter((f) => f.kind === 0x10 && f.payload).map((f) => f.payload!));
    const n = Math.max(sent.length, received.length) >> 1;
    const left = pcmSamples(sent);
    const right = pcmSamples(received);
    const stereo = new Int16Array(n * 2);
    for (let i = 0; i < n; i++) {
      stereo[2 * i] = left[i] ?? 0;
      stereo[2 * i + 1] = right[i] ?? 0;
    }
    await mkdir(options.outDir, { recursive: true });
    const wavPath = join(options.outDir, 'call.wav');
    await writeWavFile(wavPath, { sampleRate: 8000, channels: 2, samples: stereo });
    const frames = leg.received.filter((f) => f.kind === 0x10);
    const gaps = frames
      .slice(1)
      .map((f, i) => f.at - frames[i]!.at)
      .sort((a, b) => a - b);
    let agentVoiced = 0;
    for (let i = 0; i + 160 <= right.length; i += 160) {
      let e = 0;
      for (let j = i; j < i + 160; j++) e += right[j]! * right[j]!;
      if (Math.sqrt(e / 160) > 100) agentVoiced += 1;
    }
    const summary = {
      result: 'ok',
      callerSaid: 'Hello, I would like to book a table for two people tonight.',
      agentEvents: session.eventNames,
      mediaWorker: mediaWorker ?? null,
      callSeconds: +(n / 8000).toFixed(2),
      framesToAsterisk: frames.length,
      agentAudioSeconds: +((agentVoiced * 160) / 8000).toFixed(2),
      frameGapMs: {
        p50: +percentile(gaps, 50).toFixed(2),
        p99: +percentile(gaps, 99).toFixed(2),
        max: +(gaps.at(-1) ?? 0).toFixed(2),
      },
      leftAfterCall: { channels: sim.channels().length, bridges: sim.bridges().length, calls: app.registry.size },
      recording: `${wavPath} (stereo 8 kHz: caller left, agent right)`,
      summary: join(options.outDir, 'summary.json'),
    };
    const summaryJson = `${JSON.stringify(summary, null, 2)}\n`;
    await writeFile(summary.summary, summaryJson);
    process.stdout.write(`\n${summaryJson}`);
    if (!session.eventNames.includes('trackEnd')) {
      process.exitCode = 1;
      process.stderr.write('ava demo: the agent never finished speaking\n');
    }
  } finally {
    await app.stop(1000);
    await agent.close();
    await sim.close();
  }
}
