import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { createApp } from '../app.js';
import { generateTone } from '../audio/tone-analysis.js';
import type { CallLifecycleEvent } from '../calls/call-session.js';
import { loadConfig } from '../config/load-config.js';
import { dialAudioSocket } from '../simulator/audiosocket-dialer.js';
import { writeWavFile } from '../simulator/audio/wav.js';

export interface DemoOptions {
  outDir: string;
  maxSeconds: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Caller audio for the demo: three short tone bursts with pauses (a stand-in for speech). */
function callerAudio(rate: number): Int16Array {
  const parts = [
    generateTone({ rate, freq: 440, amplitude: 6000, ms: 600 }),
    new Int16Array(rate * 0.4),
    generateTone({ rate, freq: 660, amplitude: 6000, ms: 600 }),
    new Int16Array(rate * 0.4),
    generateTone({ rate, freq: 880, amplitude: 6000, ms: 600 }),
  ];
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * `ava demo`: starts the real service on loopback, places a simulated call into it, prints what happens, and writes
 * a stereo WAV of the call (caller left, agent right) plus a summary.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const config = loadConfig({
    env: { ...process.env, AUDIOSOCKET_HOST: '127.0.0.1', AUDIOSOCKET_PORT: '0', DEFAULT_AGENT: 'echo', VAD: 'off' },
  });
  const logger = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
  const app = createApp(config, { logger });
  await app.start();
  const port = app.audioSocket.address!.port;
  const t0 = performance.now();
  const say = (what: string) =>
    process.stdout.write(`${((performance.now() - t0) / 1000).toFixed(3).padStart(7)}s  ${what}\n`);
  app.registry.on('added', (session) => {
    say(
      `call ${session.id.slice(0, 8)} started (route ${session.info.route.name}, agent ${session.info.route.agent.kind})`,
    );
    session.on('event', (e: CallLifecycleEvent) => say(`  ${e.type} ${JSON.stringify(e.data)}`));
  });
  const rate = 8000;
  const audio = callerAudio(rate);
  try {
    say(`service listening for AudioSocket on 127.0.0.1:${port}; dialling a simulated Asterisk call`);
    const call = await dialAudioSocket({
      host: '127.0.0.1',
      port,
      uuid: randomUUID(),
      source: { type: 'samples', samples: audio },
      onSourceEnd: 'silence',
    });
    const callMs = Math.min(options.maxSeconds * 1000, (audio.length / rate) * 1000 + 1000);
    await new Promise((r) => setTimeout(r, callMs));
    say('caller hangs up');
    call.hangup();
    await call.closed;
    await app.registry.whenIdle(AbortSignal.timeout(5000));

    const sent = call.sentAudio();
    const received = call.receivedAudio();
    const n = Math.max(sent.length, received.length) / 2;
    const stereo = new Int16Array(n * 2);
    for (let i = 0; i < n; i++) {
      stereo[2 * i] = i * 2 + 1 < sent.length ? sent.readInt16LE(i * 2) : 0;
      stereo[2 * i + 1] = i * 2 + 1 < received.length ? received.readInt16LE(i * 2) : 0;
    }
    await mkdir(options.outDir, { recursive: true });
    const wavPath = join(options.outDir, 'call.wav');
    await writeWavFile(wavPath, { sampleRate: rate, channels: 2, samples: stereo });

    const audioFrames = call.received.filter((f) => f.kind >= 0x10 && f.kind <= 0x18);
    const gaps = audioFrames
      .slice(1)
      .map((f, i) => f.at - audioFrames[i]!.at)
      .sort((a, b) => a - b);
    const summary = {
      call: call.uuid,
      callerAudioMs: Math.round((sent.length / 2 / rate) * 1000),
      agentFramesReceived: audioFrames.length,
      frameGapMs: {
        p50: +percentile(gaps, 50).toFixed(2),
        p99: +percentile(gaps, 99).toFixed(2),
        max: +(gaps.at(-1) ?? 0).toFixed(2),
      },
      recording: wavPath,
    };
    process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    await app.stop(1000);
  }
}
