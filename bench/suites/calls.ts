import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MediaClock } from '../../src/audio/media-clock.js';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, goertzelPower } from '../../src/audio/tone-analysis.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { startNativeEchoAgent } from '../../src/simulator/agents/native-echo-agent.js';
import { readWavFile, toMono } from '../../src/simulator/audio/wav.js';
import { type GapStats, gapStats, percentile, processCpuMs, processRssMb } from '../lib/stats.js';
import { CAN_PIN, pin, startService, stopService } from '../lib/service-process.js';

const HELLO_WAV = fileURLToPath(new URL('../../test/fixtures/speech/hello-8k.wav', import.meta.url));
const ONSET_WAV = fileURLToPath(new URL('../../test/fixtures/speech/onset-8k.wav', import.meta.url));

export interface CallsLoadRun {
  readonly calls: number;
  readonly vad: boolean;
  readonly seconds: number;
  readonly serverCpuMsPerCallSecond: number;
  readonly serverCpuPctOfCore: number;
  readonly serverRssMb: number | undefined;
  readonly downlinkGaps: GapStats;
  readonly downlinkFrameRatio: number;
  readonly generatorLatenessP99Ms: number;
  readonly valid: boolean;
}

export interface BargeInRun {
  readonly calls: number;
  readonly measured: number;
  readonly reactionP50Ms: number;
  readonly reactionP99Ms: number;
  readonly reactionMaxMs: number;
}

export interface CallsBenchResult {
  readonly node: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly pinned: boolean;
  readonly loadAverageAtStart: readonly number[];
  readonly load: CallsLoadRun[];
  readonly bargeIn: BargeInRun | undefined;
}

export interface CallsBenchOptions {
  readonly calls?: readonly number[];
  readonly seconds?: number;
  readonly vad?: readonly boolean[];
  readonly bargeInCalls?: number;
}

async function loadRun(calls: number, vad: boolean, seconds: number, speech: Int16Array): Promise<CallsLoadRun> {
  const secret = 'bench-secret-0123456789';
  const agent = await startNativeEchoAgent({ mode: 'echo', secret, maxRecordedAudioBytes: 0 });
  const routes = JSON.stringify({
    routes: [{ name: 'bench', agent: { kind: 'websocket', url: agent.url, secretEnv: 'BENCH_AGENT_SECRET' } }],
  });
  const { writeFile, mkdtemp } = await import('node:fs/promises');
  const dir = await mkdtemp('/tmp/ava-bench-');
  await writeFile(`${dir}/routes.json`, routes);
  const { child, port } = await startService({
    AUDIOSOCKET_HOST: '127.0.0.1',
    AUDIOSOCKET_PORT: '0',
    AUDIOSOCKET_ALLOW_ANY_UUID: 'true',
    HTTP_PORT: '0',
    ROUTES_FILE: `${dir}/routes.json`,
    BENCH_AGENT_SECRET: secret,
    VAD: vad ? 'silero' : 'off',
    LOG_LEVEL: 'error',
  });
  const pinned = pin(child.pid!, 1) && pin(process.pid, 0);
  const clock = new MediaClock();
  clock.start();
  const dialers: SimulatedAudioSocketCall[] = [];
  const gaps: number[] = [];
  let measuring = false;
  let framesInWindow = 0;
  const last = new Map<string, number>();
  try {
    for (let i = 0; i < calls; i++) {
      const uuid = randomUUID();
      dialers.push(
        await dialAudioSocket({
          host: '127.0.0.1',
          port,
          uuid,
          clock,
          source: { type: 'samples', samples: speech, loop: true },
          recordReceived: false,
          recordSent: false,
          onFrame: (f) => {
            if (f.kind !== 0x10) return;
            const prev = last.get(uuid);
            last.set(uuid, f.at);
            if (!measuring) return;
            framesInWindow += 1;
            if (prev !== undefined) gaps.push(f.at - prev);
          },
        }),
      );
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const cpu0 = await processCpuMs(child.pid!);
    const t0 = performance.now();
    measuring = true;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    measuring = false;
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = await processCpuMs(child.pid!);
    const rss = await processRssMb(child.pid!);
    loop.disable();
    const cpuMs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : Number.NaN;
    const lateness = loop.percentile(99) / 1e6;
    return {
      calls,
      vad,
      seconds: +elapsed.toFixed(2),
      serverCpuMsPerCallSecond: +(cpuMs / (calls * elapsed)).toFixed(3),
      serverCpuPctOfCore: +((100 * cpuMs) / (elapsed * 1000)).toFixed(1),
      serverRssMb: rss !== undefined ? +rss.toFixed(1) : undefined,
      downlinkGaps: gapStats(gaps),
      downlinkFrameRatio: +(framesInWindow / (calls * elapsed * 50)).toFixed(4),
      generatorLatenessP99Ms: +lateness.toFixed(2),
      valid: lateness <= 10,
      ...(pinned ? {} : {}),
    };
  } finally {
    clock.stop();
    await Promise.all(dialers.map((d) => d.hangup().catch(() => undefined)));
    await stopService(child);
    await agent.close();
  }
}

async function bargeInRun(calls: number): Promise<BargeInRun> {
  const secret = 'bench-secret-0123456789';
  const agentAudio = Buffer.from(generateTone({ rate: 16000, freq: 440, amplitude: 7000, ms: 10_000 }).buffer);
  const agent = await startNativeEchoAgent({ mode: 'burst', secret, audio: agentAudio, maxRecordedAudioBytes: 0 });
  const { writeFile, mkdtemp } = await import('node:fs/promises');
  const dir = await mkdtemp('/tmp/ava-bench-');
  await writeFile(
    `${dir}/routes.json`,
    JSON.stringify({
      routes: [{ name: 'bench', agent: { kind: 'websocket', url: agent.url, secretEnv: 'BENCH_AGENT_SECRET' } }],
    }),
  );
  const { child, port } = await startService({
    AUDIOSOCKET_HOST: '127.0.0.1',
    AUDIOSOCKET_PORT: '0',
    AUDIOSOCKET_ALLOW_ANY_UUID: 'true',
    HTTP_PORT: '0',
    ROUTES_FILE: `${dir}/routes.json`,
    BENCH_AGENT_SECRET: secret,
    VAD: 'silero',
    LOG_LEVEL: 'error',
  });
  pin(child.pid!, 1);
  pin(process.pid, 0);
  const onset = toMono(await readWavFile(ONSET_WAV));
  const clock = new MediaClock();
  clock.start();
  const dialers: SimulatedAudioSocketCall[] = [];
  try {
    for (let i = 0; i < calls; i++) {
      // The agent's burst starts when it is answered; caller audio starts with the call: give every call the same
      // head start by delaying the caller's speech source until the first agent frame arrives.
      dialers.push(
        await dialAudioSocket({
          host: '127.0.0.1',
          port,
          uuid: randomUUID(),
          clock,
          source: { type: 'samples', samples: onset },
        }),
      );
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 6000));
    const reactions: number[] = [];
    for (const d of dialers) {
      // Speech onset in the caller's audio is at 1.000 s: frame 50 of what the caller sent.
      const onsetFrame = d.sent.filter((f) => f.kind === 0x10)[50];
      const agentFrames = d.received.filter(
        (f) => f.kind === 0x10 && f.payload && goertzelPower(pcmSamples(f.payload), 8000, 440) > 1e5,
      );
      const lastAgent = agentFrames.at(-1);
      if (!onsetFrame || !lastAgent || lastAgent.at < onsetFrame.at) continue;
      // An uninterrupted burst would run to 10 s; only calls where the flush happened count.
      if (agentFrames.length >= 499) continue;
      reactions.push(lastAgent.at - onsetFrame.at);
    }
    const sorted = Float64Array.from(reactions).sort();
    return {
      calls,
      measured: sorted.length,
      reactionP50Ms: +percentile(sorted, 0.5).toFixed(1),
      reactionP99Ms: +percentile(sorted, 0.99).toFixed(1),
      reactionMaxMs: +(sorted.at(-1) ?? Number.NaN).toFixed(1),
    };
  } finally {
    clock.stop();
    await Promise.all(dialers.map((d) => d.hangup().catch(() => undefined)));
    await stopService(child);
    await agent.close();
  }
}

export async function runCallsBench(options: CallsBenchOptions = {}): Promise<CallsBenchResult> {
  const calls = options.calls ?? [100, 200, 300];
  const seconds = options.seconds ?? 20;
  const vads = options.vad ?? [false, true];
  const speech = toMono(await readWavFile(HELLO_WAV));
  const load: CallsLoadRun[] = [];
  for (const vad of vads) for (const n of calls) load.push(await loadRun(n, vad, seconds, speech));
  const bargeIn = options.bargeInCalls === 0 ? undefined : await bargeInRun(options.bargeInCalls ?? 50);
  return {
    node: process.version,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    pinned: CAN_PIN,
    loadAverageAtStart: loadavg().map((x) => +x.toFixed(2)),
    load,
    bargeIn,
  };
}

export function formatCallsBench(r: CallsBenchResult): string {
  const lines = [
    `Full calls: dialplan-direct AudioSocket -> service (own process${r.pinned ? ', pinned to core 1; generator on core 0' : ''}) -> native WS echo agent`,
    `node ${r.node}, ${r.cpuModel}, ${r.cores} cores, load average at start ${r.loadAverageAtStart.join(' ')}`,
    '| calls | VAD | service CPU ms/call-s | % of a core | RSS MB | gap p50 ms | gap p99 ms | gaps > 30 ms | frames delivered | valid |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.load.map(
      (x) =>
        `| ${x.calls} | ${x.vad ? 'on' : 'off'} | ${x.serverCpuMsPerCallSecond} | ${x.serverCpuPctOfCore} | ${x.serverRssMb ?? '-'} | ${x.downlinkGaps.p50Ms.toFixed(1)} | ${x.downlinkGaps.p99Ms.toFixed(1)} | ${x.downlinkGaps.pctOver30Ms.toFixed(2)} % | ${(100 * x.downlinkFrameRatio).toFixed(1)} % | ${x.valid ? 'yes' : `no (generator p99 lateness ${x.generatorLatenessP99Ms} ms)`} |`,
    ),
  ];
  if (r.bargeIn) {
    const b = r.bargeIn;
    lines.push(
      '',
      `Barge-in (${b.calls} calls, VAD on, agent burst of 10 s, caller speech onset at 1.000 s; ${b.measured} calls measured):`,
      `speech onset leaving the caller -> last agent frame reaching the caller: p50 ${b.reactionP50Ms} ms, p99 ${b.reactionP99Ms} ms, max ${b.reactionMaxMs} ms`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv[2] ?? 20);
  const calls = (process.argv[3] ?? '100,200,300').split(',').map(Number);
  const result = await runCallsBench({ seconds, calls });
  process.stdout.write(`${formatCallsBench(result)}\n`);
}
