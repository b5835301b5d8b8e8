/**
 * WebRTC agent benchmark: N concurrent calls through the adapter to WebRTC agents, for one codec (PCMU on 8 kHz
 * legs, or Opus on 16 kHz legs). Per call the adapter runs its whole media path: AudioSocket leg → media bridge →
 * WebRtcAgent (pacing, encoding, SRTP via werift) → agent, and agent → jitter buffer → decoding → playout → leg.
 *
 * The adapter (`createApp`, dialplan-direct calls, one route of kind `webrtc`) runs in this process; the simulated
 * Asterisk callers (a looping tone each) and the example werift agents (echoing every RTP payload) run in a child
 * process (this same file started with `--load-generator`), so `process.cpuUsage()` here measures the adapter alone.
 *
 * `runWebRtcBench({ calls: [50, 100], codec })` returns the figures; run this file directly to print them:
 * `npx tsx bench/suites/webrtc.ts [seconds] [calls,calls,…] [PCMU|opus|both]` (defaults: 20 s, 50,100, both).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { dialRamped } from '../lib/ramped-dials.js';
import { fixedOrNa, type MachineInfo, machineInfo, percentile } from '../lib/stats.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type App, createApp } from '../../src/app.js';
import { generateTone } from '../../src/audio/tone-analysis.js';
import type { WebRtcAgent } from '../../src/calls/agents/webrtc-agent.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/observability/logger.js';
import { startWebRtcEchoAgent, type WebRtcEchoAgent } from '../../src/simulator/agents/webrtc-echo-agent.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { nextMessage, stopChild } from '../lib/child-messages.js';
import { helpIfAsked } from '../lib/script-args.js';

export type WebRtcBenchCodec = 'PCMU' | 'opus';

export interface WebRtcBenchOptions {
  readonly calls: readonly number[];
  readonly codec: WebRtcBenchCodec;
  /** Measured seconds per run. Default 20. */
  readonly seconds?: number;
  /** Seconds of steady load before measuring. Default 3. */
  readonly warmupSeconds?: number;
  /** Calls start spread over this many ms. Default 100 ms per call. */
  readonly rampMs?: number;
}

export interface WebRtcBenchRun {
  readonly calls: number;
  readonly seconds: number;
  /** Calls whose agent media was connected when the window started (should equal `calls`). */
  readonly connected: number;
  /** Adapter process CPU (user + system) per call-second, ms. */
  readonly adapterCpuMsPerCallSecond: number;
  readonly adapterCpuPctOfCore: number;
  /**
   * Adapter CPU per RTP packet handled (sent + received), µs. Steadier than the per-call-second figure on a busy
   * machine, where starved calls move fewer packets; × 100 packets per call-second gives the full-rate cost.
   */
  readonly adapterCpuUsPerRtpPacket: number;
  /** Child process (callers + werift agents) CPU per call-second, ms, for context. */
  readonly loadGenCpuMsPerCallSecond: number;
  /** RTP packets the adapter sent / received per call-second (50 each way at 20 ms). */
  readonly rtpSentPerCallSecond: number;
  readonly rtpReceivedPerCallSecond: number;
  /** Concealed packets per call-second in the adapter's jitter buffers, and packets dropped as late. */
  readonly concealedPerCallSecond: number;
  readonly late: number;
  readonly adapterLoopDelayP99Ms: number;
  readonly adapterLoopDelayMaxMs: number;
  readonly callSetupMsP50: number;
  readonly callSetupMsMax: number;
}

export interface WebRtcBenchResult extends MachineInfo {
  readonly codec: WebRtcBenchCodec;
  readonly legRate: number;
  readonly warmupSeconds: number;
  readonly method: string;
  readonly runs: readonly WebRtcBenchRun[];
}

type ToLoadGen =
  | { type: 'agent'; codec: WebRtcBenchCodec }
  | { type: 'dial'; port: number; uuids: string[]; kind: 0x10 | 0x12; rampMs: number }
  | { type: 'measure' }
  | { type: 'report' }
  | { type: 'stop' };

type FromLoadGen =
  | { type: 'agent'; url: string }
  | { type: 'dialled'; connected: number }
  | { type: 'report'; cpuUs: number; open: number }
  | { type: 'error'; message: string };

const THIS_FILE = fileURLToPath(import.meta.url);

/** The next message of `type` from the load generator (typed for this suite's messages). */
const fromLoadGen = <T extends FromLoadGen['type']>(child: ChildProcess, type: T, timeoutMs: number) =>
  nextMessage<FromLoadGen, T>(child, type, timeoutMs);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function webrtcAgents(app: App): WebRtcAgent[] {
  return app.registry
    .list()
    .map((s) => s.agent)
    .filter((a): a is WebRtcAgent => a?.kind === 'webrtc');
}

async function runOne(calls: number, opts: Required<WebRtcBenchOptions>): Promise<WebRtcBenchRun> {
  const child = fork(THIS_FILE, ['--load-generator'], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const send = (m: ToLoadGen): void => {
    child.send(m);
  };
  let app: App | undefined;
  try {
    send({ type: 'agent', codec: opts.codec });
    const { url } = await fromLoadGen(child, 'agent', 30_000);
    const routes = {
      routes: [
        {
          name: 'bench',
          audioFormat: opts.codec === 'opus' ? 'slin16' : 'slin',
          agent: { kind: 'webrtc', url, codecs: [opts.codec] },
        },
      ],
    };
    const config = loadConfig({
      env: {
        AUDIOSOCKET_HOST: '127.0.0.1',
        AUDIOSOCKET_PORT: '0',
        AUDIOSOCKET_ALLOW_ANY_UUID: 'true',
        HTTP_ENABLED: 'false',
        VAD: 'off',
        MEDIA_WORKERS: '0',
        AGENT_CONNECT_TIMEOUT_MS: '60000',
        AUDIOSOCKET_IDLE_TIMEOUT_MS: '30000',
        ROUTES_FILE: 'routes.json',
        LOG_LEVEL: 'warn',
      },
      readFile: () => JSON.stringify(routes),
    });
    const logger = createLogger({ level: 'warn', pretty: false, destination: { write: () => {} } });
    app = createApp(config, { logger });
    const setupMs: number[] = [];
    app.registry.on('added', (s) => {
      const t0 = performance.now();
      s.on('state', (state) => {
        if (state === 'active') setupMs.push(performance.now() - t0);
      });
    });
    await app.start();
    const port = app.audioSocket.address?.port;
    if (!port) throw new Error('AudioSocket server did not bind');
    const uuids = Array.from({ length: calls }, () => randomUUID());
    send({ type: 'dial', port, uuids, kind: opts.codec === 'opus' ? 0x12 : 0x10, rampMs: opts.rampMs || calls * 100 });
    await fromLoadGen(child, 'dialled', 120_000);
    const deadline = Date.now() + 120_000;
    while (setupMs.length < calls && Date.now() < deadline) await sleep(200);
    await sleep(opts.warmupSeconds * 1000);

    const before = webrtcAgents(app).map((a) => a.stats);
    const sum = (xs: typeof before, f: (s: (typeof before)[number]) => number): number =>
      xs.reduce((acc, s) => acc + f(s), 0);
    const loop = monitorEventLoopDelay({ resolution: 5 });
    send({ type: 'measure' });
    loop.enable();
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    await sleep(opts.seconds * 1000);
    const cpu = process.cpuUsage(cpuBefore);
    const elapsedS = (performance.now() - t0) / 1000;
    loop.disable();
    const after = webrtcAgents(app).map((a) => a.stats);
    send({ type: 'report' });
    const report = await fromLoadGen(child, 'report', 60_000);
    const callSeconds = calls * elapsedS;
    const packets = sum(after, (s) => s.rtpSent + s.rtpReceived) - sum(before, (s) => s.rtpSent + s.rtpReceived);
    return {
      calls,
      seconds: elapsedS,
      connected: setupMs.length,
      adapterCpuMsPerCallSecond: (cpu.user + cpu.system) / 1000 / callSeconds,
      adapterCpuPctOfCore: (100 * (cpu.user + cpu.system)) / 1e6 / elapsedS,
      adapterCpuUsPerRtpPacket: (cpu.user + cpu.system) / Math.max(1, packets),
      loadGenCpuMsPerCallSecond: report.cpuUs / 1000 / callSeconds,
      rtpSentPerCallSecond: (sum(after, (s) => s.rtpSent) - sum(before, (s) => s.rtpSent)) / callSeconds,
      rtpReceivedPerCallSecond: (sum(after, (s) => s.rtpReceived) - sum(before, (s) => s.rtpReceived)) / callSeconds,
      concealedPerCallSecond:
        (sum(after, (s) => s.jitter.concealed) - sum(before, (s) => s.jitter.concealed)) / callSeconds,
      late: sum(after, (s) => s.jitter.late) - sum(before, (s) => s.jitter.late),
      adapterLoopDelayP99Ms: loop.percentile(99) / 1e6,
      adapterLoopDelayMaxMs: loop.max / 1e6,
      callSetupMsP50: percentile(Float64Array.from(setupMs).sort(), 0.5),
      callSetupMsMax: Math.max(...setupMs),
    };
  } finally {
    await stopChild(child, { type: 'stop' } satisfies ToLoadGen, 15_000);
    await app?.stop(2000);
  }
}

/** Runs the benchmark for each call count in turn. */
export async function runWebRtcBench(options: WebRtcBenchOptions): Promise<WebRtcBenchResult> {
  const opts: Required<WebRtcBenchOptions> = {
    calls: options.calls,
    codec: options.codec,
    seconds: options.seconds ?? 20,
    warmupSeconds: options.warmupSeconds ?? 3,
    rampMs: options.rampMs ?? 0,
  };
  const loadAverageAtStart = loadavg();
  const runs: WebRtcBenchRun[] = [];
  for (const n of opts.calls) runs.push(await runOne(n, opts));
  return {
    ...machineInfo(loadAverageAtStart),
    codec: opts.codec,
    legRate: opts.codec === 'opus' ? 16000 : 8000,
    warmupSeconds: opts.warmupSeconds,
    method:
      'adapter (createApp, dialplan-direct AudioSocket calls, route kind webrtc with one codec, its own on-demand ' +
      '20 ms clock for the agents) in this process; simulated Asterisk callers (a looping 1 kHz tone each) and the ' +
      'example werift agents (echoing every RTP payload back) in a child process, over 127.0.0.1 (AudioSocket TCP, ' +
      'control WebSocket, ICE/DTLS-SRTP over UDP). Calls start 100 ms apart, then warm up before the window. Adapter ' +
      'CPU is process.cpuUsage() of this process over the window; RTP counts come from the agents\u2019 stats.',
    runs,
  };
}

/** The child process: the werift agents and the simulated callers. */
async function loadGenerator(): Promise<void> {
  let agent: WebRtcEchoAgent | undefined;
  const calls: SimulatedAudioSocketCall[] = [];
  let cpuStart = process.cpuUsage();
  const reply = (m: FromLoadGen): void => {
    process.send?.(m);
  };
  const quiet = createLogger({ level: 'silent', pretty: false, destination: { write: () => {} } });
  process.on('message', (m: ToLoadGen) => {
    switch (m.type) {
      case 'agent':
        startWebRtcEchoAgent({ codecs: [m.codec], recordAudio: false, logger: quiet }).then(
          (a) => {
            agent = a;
            reply({ type: 'agent', url: a.url });
          },
          (err: Error) => reply({ type: 'error', message: err.message }),
        );
        return;
      case 'dial':
        void (async () => {
          try {
            const rate = m.kind === 0x12 ? 16000 : 8000;
            const tone = generateTone({ rate, freq: 1000, amplitude: 6000, ms: 1000 });
            const connected = await dialRamped(m.uuids, m.rampMs, (uuid) => {
              return dialAudioSocket({
                host: '127.0.0.1',
                port: m.port,
                uuid,
                kind: m.kind,
                source: { type: 'samples', samples: tone, loop: true },
                recordReceived: false,
                recordPayloads: false,
                recordSent: false,
                connectTimeoutMs: 10_000,
              });
            });
            calls.push(...connected);
            reply({ type: 'dialled', connected: calls.length });
          } catch (err) {
            reply({ type: 'error', message: (err as Error).message });
          }
        })();
        return;
      case 'measure':
        cpuStart = process.cpuUsage();
        return;
      case 'report': {
        const cpu = process.cpuUsage(cpuStart);
        reply({ type: 'report', cpuUs: cpu.user + cpu.system, open: calls.filter((c) => c.state === 'open').length });
        return;
      }
      case 'stop':
        void Promise.all(calls.map((c) => c.hangup().catch(() => {})))
          .then(() => agent?.close())
          .finally(() => process.exit(0));
        return;
    }
  });
  process.on('disconnect', () => process.exit(0));
}

export function formatWebRtcBench(r: WebRtcBenchResult): string {
  const out: string[] = [];
  out.push(
    `WebRTC agent benchmark, ${r.codec} on ${r.legRate / 1000} kHz legs — node ${r.node}, ${r.cores} × ${r.cpuModel}`,
  );
  out.push(`load average at start: ${r.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}`);
  out.push(`warm-up ${r.warmupSeconds} s; method: ${r.method}`);
  const head = [
    'calls',
    'window s',
    'media up',
    'CPU ms/call-s',
    '% core',
    'CPU µs/RTP pkt',
    'gen ms/call-s',
    'RTP out/call-s',
    'RTP in/call-s',
    'concealed/call-s',
    'late',
    'loop p99 ms',
    'loop max ms',
    'setup p50/max ms',
  ];
  const rows = r.runs.map((x) => [
    String(x.calls),
    fixedOrNa(x.seconds, 1),
    String(x.connected),
    fixedOrNa(x.adapterCpuMsPerCallSecond, 3),
    fixedOrNa(x.adapterCpuPctOfCore, 1),
    fixedOrNa(x.adapterCpuUsPerRtpPacket, 1),
    fixedOrNa(x.loadGenCpuMsPerCallSecond, 3),
    fixedOrNa(x.rtpSentPerCallSecond, 1),
    fixedOrNa(x.rtpReceivedPerCallSecond, 1),
    fixedOrNa(x.concealedPerCallSecond, 3),
    String(x.late),
    fixedOrNa(x.adapterLoopDelayP99Ms),
    fixedOrNa(x.adapterLoopDelayMaxMs),
    `${fixedOrNa(x.callSetupMsP50, 0)}/${fixedOrNa(x.callSetupMsMax, 0)}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  out.push(line(head));
  for (const row of rows) out.push(line(row));
  return out.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  helpIfAsked(
    'usage: npx tsx bench/suites/webrtc.ts [seconds=20] [calls=50,100] [PCMU|opus|both]\nWebRTC agent benchmark per codec; prints its table.',
  );
  if (process.argv[2] === '--load-generator') {
    void loadGenerator();
  } else {
    const seconds = process.argv[2] === undefined ? 20 : Number(process.argv[2]);
    const calls = process.argv[3] === undefined ? [50, 100] : process.argv[3].split(',').map(Number);
    const which = process.argv[4] ?? 'both';
    const codecs: WebRtcBenchCodec[] = which === 'both' ? ['PCMU', 'opus'] : [which as WebRtcBenchCodec];
    void (async () => {
      for (const codec of codecs) console.log(formatWebRtcBench(await runWebRtcBench({ calls, codec, seconds })));
      process.exit(0);
    })().catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  }
}
