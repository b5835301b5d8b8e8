/**
 * Garbage made by the 20 ms frame path: N calls through the real MediaBridge and AudioSocket connections (loopback
 * TCP) with an in-process echo agent, driven by a MediaClock on a hand-moved time base, so every run does exactly the
 * same work however busy the machine is. Prints GC counts and time (PerformanceObserver 'gc') and CPU per
 * call-second of audio. `npx tsx scripts/frame-path-gc.ts --help` for the options.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { helpIfAsked } from '../bench/lib/script-args.js';
import { type AudioFormat, PCM8K, PCM16K, ULAW8K } from '../src/audio/format.js';
import { MediaClock } from '../src/audio/media-clock.js';
import { AudioSocketLeg } from '../src/calls/audiosocket-leg.js';
import { MediaBridge } from '../src/calls/media-bridge.js';
import type { AgentOutput, CallInfo, VoiceAgent } from '../src/calls/voice-agent.js';
import { createLogger } from '../src/observability/logger.js';
import { AudioSocketDecoder } from '../src/protocols/audiosocket/decoder.js';
import { encodeAudioFrame } from '../src/protocols/audiosocket/encoder.js';
import { AudioSocketConnection } from '../src/transports/audiosocket/audiosocket-connection.js';
import { createAudioSocketCounters } from '../src/transports/audiosocket/counters.js';

helpIfAsked(`usage: npx tsx scripts/frame-path-gc.ts [--calls N] [--seconds S] [--agent pcm16k|ulaw|slin] [--phases P]
N calls (default 100) of S seconds of audio each (default 60) through MediaBridge + AudioSocket over loopback,
echoed by an in-process agent speaking 16 kHz PCM (default: resampling both ways), μ-law (G.711 only) or the
leg's own 8 kHz slin (no conversion), on a media clock of P phases (default 4). Prints GC counts, GC time, CPU per
call-second and how long each clock wake-up took (the longest burst of downlink writes).`);

const { values } = parseArgs({
  options: {
    calls: { type: 'string' },
    seconds: { type: 'string' },
    agent: { type: 'string' },
    phases: { type: 'string' },
  },
});
const phases = Number(values.phases ?? 4);
const calls = Number(values.calls ?? 100);
const seconds = Number(values.seconds ?? 60);
const agentKind = values.agent ?? 'pcm16k';
const agentFormats: Record<string, AudioFormat> = { pcm16k: PCM16K, ulaw: ULAW8K, slin: PCM8K };
const agentFormat = agentFormats[agentKind];
if (!agentFormat || !(calls > 0) || !(seconds > 0) || !(Number.isInteger(phases) && phases >= 1 && phases <= 10)) {
  console.error('--calls and --seconds must be positive, --agent one of pcm16k, ulaw, slin, --phases 1…10');
  process.exit(2);
}

/** Plays every caller frame straight back. */
class EchoAgent implements VoiceAgent {
  readonly kind = 'echo';
  readonly inputFormat = agentFormat as AudioFormat;
  readonly outputFormat = agentFormat as AudioFormat;
  output: AgentOutput | undefined;
  async start(_call: CallInfo, output: AgentOutput): Promise<void> {
    this.output = output;
  }
  sendAudio(chunk: Buffer): void {
    this.output?.audio(chunk, { utteranceId: 'echo' });
  }
  notify(): void {}
  async close(): Promise<void> {}
}

let now = 0;
let due: (() => void) | undefined;
const clock = new MediaClock({
  phases,
  now: () => now,
  setTimer: (fn) => {
    due = fn;
    return 1;
  },
  clearTimer: () => {
    due = undefined;
  },
});

const server = createServer();
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = (server.address() as { port: number }).port;
const logger = createLogger({ level: 'silent', pretty: false });
const counters = createAudioSocketCounters();
const bridges: MediaBridge[] = [];
const peers: Socket[] = [];
const accepted: Socket[] = [];
server.on('connection', (s) => accepted.push(s));
for (let i = 0; i < calls; i++) {
  const peer = createConnection({ port, host: '127.0.0.1' });
  await once(peer, 'connect');
  peer.setNoDelay(true);
  peer.pause(); // never read: what the service writes stays in the kernel, and the peer makes no garbage reading it
  peers.push(peer);
}
while (accepted.length < calls) await new Promise((r) => setImmediate(r));
for (const [i, socket] of accepted.entries()) {
  socket.setNoDelay(true);
  const conn = new AudioSocketConnection({
    socket,
    uuid: `call-${i}`,
    context: undefined,
    decoder: new AudioSocketDecoder(),
    idleTimeoutMs: 0,
    maxPendingWriteBytes: 1 << 22,
    closeGraceMs: 100,
    logger,
    counters,
  });
  const agent = new EchoAgent();
  const bridge = new MediaBridge({
    callId: `call-${i}`,
    leg: new AudioSocketLeg(conn),
    agent,
    clock,
    playoutMaxMs: 10_000,
    bargeIn: false,
    act: async () => {},
    onAgentFailure: () => {},
    logger,
  });
  await agent.start({} as CallInfo, bridge.output);
  bridge.start();
  bridge.agentReady();
  conn.start();
  bridges.push(bridge);
}

// One caller frame (a tone, the same bytes every time: the peer allocates nothing per frame).
const pcm = Buffer.alloc(320);
for (let i = 0; i < 160; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 997 * i) / 8000)), i * 2);
const wire = encodeAudioFrame(0x10, pcm);

async function run(frames: number): Promise<void> {
  for (let f = 0; f < frames; f++) {
    const want = bridges[0]!.stats.framesIn + 1;
    for (const peer of peers) peer.write(wire);
    while (bridges.some((b) => b.stats.framesIn < want)) await new Promise((r) => setImmediate(r));
    // Every sub-tick of the period (the clock sets no timer for an empty phase: then nothing is due).
    for (let p = 0; p < phases; p++) {
      now += 20 / phases;
      const fn = due;
      due = undefined;
      if (!fn) continue;
      const t = performance.now();
      fn();
      if (measuring) wakeups.push(performance.now() - t);
    }
  }
}

let measuring = false;
const wakeups: number[] = [];
clock.start();
due?.();
await run(250); // warm-up
const gc = { minor: 0, major: 0, other: 0, ms: 0 };
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    // perf_hooks constants: NODE_PERFORMANCE_GC_MINOR 1 (scavenge), MAJOR 4 (mark-compact), INCREMENTAL 8, WEAKCB 16.
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === 1) gc.minor += 1;
    else if (kind === 4) gc.major += 1;
    else gc.other += 1;
    gc.ms += e.duration;
  }
});
observer.observe({ entryTypes: ['gc'] });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const framesOut0 = bridges.reduce((n, b) => n + b.stats.framesOut, 0);
const silence0 = bridges.reduce((n, b) => n + b.stats.silenceFramesOut, 0);
measuring = true;
await run(seconds * 50);
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - t0;
await new Promise((r) => setTimeout(r, 50));
observer.disconnect();
const callSeconds = calls * seconds;
wakeups.sort((a, b) => a - b);
const pct = (q: number) =>
  Number((wakeups[Math.min(wakeups.length - 1, Math.floor(q * wakeups.length))] ?? 0).toFixed(3));
const framesOut = bridges.reduce((n, b) => n + b.stats.framesOut, 0) - framesOut0;
console.log(
  JSON.stringify({
    calls,
    seconds,
    agent: agentKind,
    callSeconds,
    framesOut,
    silenceFramesOut: bridges.reduce((n, b) => n + b.stats.silenceFramesOut, 0) - silence0,
    scavenges: gc.minor,
    markCompacts: gc.major,
    incrementalOrWeakGc: gc.other,
    gcMs: Number(gc.ms.toFixed(1)),
    gcMsPerCallSecond: Number((gc.ms / callSeconds).toFixed(4)),
    scavengesPer1000CallSeconds: Number(((1000 * gc.minor) / callSeconds).toFixed(1)),
    cpuMsPerCallSecond: Number(((cpu.user + cpu.system) / 1000 / callSeconds).toFixed(3)),
    phases,
    wakeupMs: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
    wallMs: Math.round(wallMs),
  }),
);
await clock.close();
for (const b of bridges) await b.close();
for (const p of peers) p.destroy();
for (const s of accepted) s.destroy();
server.close();
