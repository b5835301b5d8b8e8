import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp } from '../app.js';
import type { CallLifecycleEvent } from '../calls/call-session.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../observability/logger.js';
import { startSimulatedAsterisk } from '../simulator/ari/simulated-asterisk.js';
import { linkOpenAiSip } from '../simulator/openai-sip-link.js';
import { startRealtimeSimulator } from '../simulator/realtime/realtime-simulator.js';

export interface SipDemoOptions {
  outDir: string;
  maxSeconds: number;
}

/** A demo signing secret (base64 after `whsec_`), not a real one. */
const DEMO_WEBHOOK_SECRET = 'whsec_ZGVtby13ZWJob29rLXNpZ25pbmctc2VjcmV0';
const DEMO_KEY = 'sk-demo-not-a-real-key';

/**
 * `ava demo --sip`: one call on an `openai-sip` route, no PBX and no API key: a simulated Asterisk sends a caller
 * into the Stasis app; the service dials the simulated provider's SIP endpoint (PJSIP/openai) with the call's id in
 * X-Ava-Call-Id, the provider fires its signed incoming-call webhook at the service, the service accepts the call
 * with the route's session and opens the sideband: greeting, a caller turn, transcripts. No audio passes through the
 * service. Prints the events and writes a summary.
 */
export async function runSipDemo(options: SipDemoOptions): Promise<void> {
  const t0 = performance.now();
  const say = (who: string, what: string) =>
    process.stdout.write(`${((performance.now() - t0) / 1000).toFixed(3).padStart(7)}s  ${who.padEnd(9)} ${what}\n`);
  const sim = await startSimulatedAsterisk({ username: 'adapter', password: 'demo-password', audioSocket: false });
  const provider = await startRealtimeSimulator({
    apiKey: DEMO_KEY,
    sip: { webhookSecrets: [DEMO_WEBHOOK_SECRET] },
    callerTranscript: () => 'I would like to book a table for two tonight.',
    script: ({ index }) =>
      index === 0
        ? { audioMs: 1500, transcript: 'Good evening, Luigi’s, how can I help?' }
        : { audioMs: 2000, transcript: 'Two people tonight at eight works. Shall I book it?' },
  });
  linkOpenAiSip(sim, provider);
  const routes = JSON.stringify({
    routes: [
      {
        name: 'front-desk',
        agent: {
          kind: 'openai-sip',
          projectId: 'proj_demo',
          url: provider.url,
          secretEnv: 'DEMO_OPENAI_KEY',
          webhookSecretEnv: 'DEMO_OPENAI_WEBHOOK_SECRET',
          greeting: 'Greet the caller.',
          session: { instructions: "You take table bookings for Luigi's.", voice: 'marin' },
        },
      },
    ],
  });
  const config = loadConfig({
    env: {
      ...process.env,
      AUDIOSOCKET_HOST: '127.0.0.1',
      AUDIOSOCKET_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      HTTP_ENABLED: 'true',
      ARI_URL: sim.url,
      ARI_USERNAME: 'adapter',
      ARI_PASSWORD: 'demo-password',
      ROUTES_FILE: 'demo-routes.json',
      DEMO_OPENAI_KEY: DEMO_KEY,
      DEMO_OPENAI_WEBHOOK_SECRET: DEMO_WEBHOOK_SECRET,
      VAD: 'off',
      // An openai-sip call's media never passes through the adapter (Asterisk sends it to the SIP service).
      MEDIA_WORKERS: '0',
    },
    readFile: () => routes,
  });
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'error', pretty: true });
  const app = createApp(config, { logger });
  try {
    say('service', 'starting (simulated Asterisk 22 and simulated Realtime SIP service on loopback)');
    await app.start();
    const port = app.http?.address?.port;
    if (port === undefined) throw new Error('the HTTP server did not bind');
    provider.sip.configureWebhook({ url: `http://127.0.0.1:${port}/v1/openai/sip/webhook` });
    say('provider', `webhook -> http://127.0.0.1:${port}/v1/openai/sip/webhook`);
    const turns: string[] = [];
    app.registry.on('added', (session) => {
      say('service', `call ${session.id.slice(0, 8)}, route ${session.info.route.name}`);
      session.on('event', (e: CallLifecycleEvent) => {
        say('service', `${e.type} ${JSON.stringify(e.data)}`);
        if (e.type === 'transcript') turns.push(`${e.data.role}: ${e.data.text}`);
      });
    });
    say('asterisk', 'caller +15551234 dials 102 -> Stasis(voice-adapter,openai)');
    const caller = await sim.placeInboundCall({ caller: '+15551234', extension: '102', stasisArgs: ['openai'] });
    const call = await provider.sip.waitFor(() => [...provider.sip.calls.values()][0], 'incoming SIP call', 10_000);
    say('provider', `INVITE from Asterisk, headers ${JSON.stringify(call.sipHeaders.slice(2))}; webhook sent`);
    const side = await provider.waitForSession(0, options.maxSeconds * 1000);
    say('provider', `call ${call.id} accepted: ${JSON.stringify(call.acceptBody)}`);
    await side.waitFor(() => (side.responses.length === 1 && !side.activeResponse ? true : undefined), 'greeting');
    say('provider', 'the caller speaks (heard over SIP, not by the service)');
    side.callerTurn(1500);
    await side.waitFor(
      () => (side.responses.length === 2 && !side.activeResponse ? true : undefined),
      'answer',
      options.maxSeconds * 1000,
    );
    await new Promise((r) => setTimeout(r, 300));
    say('asterisk', 'caller hangs up');
    await caller.hangup();
    await app.registry.whenIdle(AbortSignal.timeout(5000));
    const summary = {
      result: turns.length >= 3 ? 'ok' : 'incomplete',
      providerCall: call.id,
      webhookDeliveries: provider.sip.deliveries.map((d) => d.status),
      callsApi: provider.sip.requests.map((r) => `${r.action} ${r.status}`),
      transcript: turns,
      leftAfterCall: { channels: sim.channels().length, bridges: sim.bridges().length, calls: app.registry.size },
      summary: join(options.outDir, 'summary.json'),
    };
    await mkdir(options.outDir, { recursive: true });
    const text = `${JSON.stringify(summary, null, 2)}\n`;
    await writeFile(summary.summary, text);
    process.stdout.write(`\n${text}`);
    if (summary.result !== 'ok') {
      process.exitCode = 1;
      process.stderr.write('ava demo --sip: the conversation did not complete\n');
    }
  } finally {
    await app.stop(1000);
    await provider.close();
    await sim.close();
  }
}
