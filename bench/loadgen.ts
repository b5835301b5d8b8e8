/**
 * Load generator: N simulated Asterisk AudioSocket calls against any AudioSocket server, measured from the callers'
 * side (and from the server's /proc entry when its PID is known).
 *
 * `npm run loadgen -- --help` for the CLI; `runLoad(options)` for the library (the `calls` bench suite and the tests
 * use it). Without `--target` it starts the service itself (bench/lib/echo-service.ts) with one route to a native
 * WebSocket echo agent started here, pins the service to core 1 and the generator to core 0 (taskset), and splits
 * latency into uplink (caller → agent) and downlink (agent → caller) on one time base
 * (`performance.timeOrigin + performance.now()`, the same in every process on the machine).
 *
 * `via: 'ari'` (self-started service only): the callers' process also runs the simulated Asterisk
 * (src/simulator/ari/), the service runs in ARI mode against it, and each call is `placeInboundCall({ audio })`:
 * StasisStart → externalMedia AudioSocket → bridge, as with a real Asterisk; the AudioSocket legs are paced by the
 * callers' clock and measured as in raw mode. `agent: 'realtime'`: the service's route goes to the Realtime
 * simulator (started here) with server VAD, whose model answers every caller turn with audio; no latency figures.
 *
 * Every caller sends real speech (test/fixtures/speech) with a 1 kHz 80 ms burst every 2 s, each call at its own
 * phase (bench/lib/tone-onsets.ts). By default the callers run in a child process (this file with
 * `--callers-child`), so the generator's two halves — callers, and the echo agent here — get separate event loops.
 *
 * Caller-side figures, over the measured window only (after `--warmup`):
 * - downlink frames/s per call (p50 and minimum over calls) and the gaps between consecutive audio frames;
 * - lost frames: per call, 50/s × the time the call was up in the window (from its first downlink frame to its end)
 *   minus the frames received, less one frame of tolerance for the window edges, never below zero;
 * - duplicated frames: a frame byte-identical to the one before it on the same call, all-zero frames excepted.
 *   The callers' audio carries ±1 LSB of dither, so an echoed stream never repeats a frame by itself; for a server
 *   that sends its own periodic audio (a pure tone) this count is meaningless;
 * - added latency from tone-burst onsets (sent onset → onset seen downstream), ±1 sample after refinement.
 * A run is INVALID when the generator fell behind: its event-loop delay p99 over 10 ms, or over 1 % of its media
 * clock ticks more than one interval late (callers), or the echo agent's event-loop delay p99 over 10 ms.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scriptArgs } from './lib/script-args.js';
import { MediaClock } from '../src/audio/media-clock.js';
import { type AudioKind, AUDIO_KIND_SAMPLE_RATE } from '../src/protocols/audiosocket/kinds.js';
import type { AudioSource } from '../src/simulator/audio/audio-source.js';
import {
  type DialerCloseInfo,
  dialAudioSocket,
  type FrameTicker,
  type ReceivedFrame,
  type SimulatedAudioSocketCall,
} from '../src/simulator/audiosocket-dialer.js';
import type { NativeAgentSession, NativeEchoAgentMode } from '../src/simulator/agents/native-echo-agent.js';
import { audioSocketDialerLink } from '../src/simulator/ari/audiosocket-dialer-link.js';
import { type SimulatedAsterisk, startSimulatedAsterisk } from '../src/simulator/ari/simulated-asterisk.js';
import type { SimulatedChannel } from '../src/simulator/ari/simulated-channel.js';
import { type RealtimeSimulator, startRealtimeSimulator } from '../src/simulator/realtime/realtime-simulator.js';
import { readWavFile, toMono } from '../src/simulator/audio/wav.js';
import { nextMessage } from './lib/child-messages.js';
import { type BenchService, startEchoService, startRoutedService, withAgent } from './lib/echo-service.js';
import { audioTotals, realtimeBenchRoute } from './lib/realtime-callers.js';
import { CAN_PIN, pin, pinService, servicePinning } from './lib/service-process.js';
import {
  coreBusyMs,
  type GapStats,
  gapStats,
  percentile,
  processCpuMs,
  processRssMb,
  startLoopDelay,
} from './lib/stats.js';
import { type BurstSpec, burstyCallerAudio, matchOnsets, OnsetDetector } from './lib/tone-onsets.js';

/** The self-started service's agent: a native agent mode, or `realtime` (the Realtime simulator). */
export type LoadAgent = NativeEchoAgentMode | 'realtime';

export interface LoadOptions {
  /** Any AudioSocket server; without it the service is started here with a native echo agent. */
  readonly target?: { readonly host: string; readonly port: number };
  /**
   * How calls reach the self-started service: `audiosocket` (default; dialplan-direct AudioSocket), or `ari` (a
   * simulated Asterisk in the callers' process, the service in ARI mode: StasisStart → externalMedia AudioSocket →
   * bridge, as with a real Asterisk).
   */
  readonly via?: 'audiosocket' | 'ari';
  /** Concurrent calls (default 100 unless `rate`). With `durationS`, each ended call is followed by a new one. */
  readonly calls?: number;
  /** Arrival rate, calls/s (instead of `calls`); each call lasts `durationS` (default 30). */
  readonly rate?: number;
  /** Mean call duration, s, with ± `jitter` (fraction, default 0.2) uniform jitter. Default: the whole run. */
  readonly durationS?: number;
  readonly jitter?: number;
  /** Measured window, s. */
  readonly seconds: number;
  /** Load before the window, s (starts are staggered over it). Default 3, or 1 + the ramp. */
  readonly warmupS?: number;
  /** `calls` mode: the starts are spread over this many s. Default calls / 50. */
  readonly rampS?: number;
  readonly kind?: AudioKind;
  /** VAD of the self-started service. */
  readonly vad?: boolean;
  /**
   * The self-started service's agent (bench-only native agent modes): `echo` (default; latency is measured only with
   * it), `speaker` (paced 3 s utterances, stopped on barge-in), `burst`, `parrot`; or `realtime`: an OpenAI Realtime
   * route to the Realtime simulator (started here), whose server VAD ends each caller turn and whose model answers
   * it with {@link REALTIME_ANSWER_MS} of audio (not interrupted by the caller's next turn).
   */
  readonly agent?: LoadAgent;
  /** PID of the server (for a `target`) to read CPU and RSS from /proc. */
  readonly serverPid?: number;
  readonly bursts?: BurstSpec;
  /** Callers in this process instead of a child process. */
  readonly inline?: boolean;
  /** Pin the service to core 1 and the generator to core 0 (when taskset exists). Default true. */
  readonly pin?: boolean;
}

export interface LatencyStats {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface LoadResult {
  readonly target: string;
  readonly mode: string;
  readonly kind: AudioKind;
  readonly vad: boolean | undefined;
  readonly seconds: number;
  readonly callers: 'child process' | 'inline';
  readonly pinned: boolean;
  readonly calls: {
    readonly dialed: number;
    readonly failedDials: number;
    readonly avgConcurrent: number;
    readonly closedByServer: number;
  };
  readonly downlink: {
    readonly fpsPerCallP50: number;
    readonly fpsPerCallMin: number;
    readonly gaps: GapStats;
    readonly framesReceived: number;
    /** Frames received in the window with any non-zero sample (not pure digital silence). */
    readonly audibleFrames: number;
    readonly framesExpected: number;
    readonly lostFrames: number;
    readonly lostPct: number;
    readonly duplicateFrames: number;
  };
  readonly latency: {
    readonly roundTrip: LatencyStats;
    readonly uplink?: LatencyStats;
    readonly downlink?: LatencyStats;
  };
  readonly server?: {
    readonly pid: number;
    readonly cpuMsPerCallSecond: number;
    readonly cpuPctOfCore: number;
    readonly rssMb: number;
    readonly rssMbPerCall: number;
    readonly eventLoopP99Ms?: number;
    readonly eventLoopMaxMs?: number;
    /** Busy time of the service's core not spent by the service (other processes, interrupts), % of the core. */
    readonly otherLoadOnCorePct?: number;
  };
  readonly generator: {
    readonly loopDelayP99Ms: number;
    readonly tickLatenessP99Ms: number;
    readonly lateTicksPct: number;
    readonly cpuMsPerCallSecond: number;
    readonly agentLoopDelayP99Ms?: number;
    /** CPU of this process (the echo agent, with callers `inline` also them) per call-second. */
    readonly agentCpuMsPerCallSecond?: number;
  };
  /** `agent: 'realtime'`: the simulator's sessions, the responses its model started, and their audio deltas. */
  readonly realtime?: { readonly sessions: number; readonly responses: number; readonly audioDeltas: number };
  readonly valid: boolean;
  readonly invalidReasons: readonly string[];
  /**
   * Set when something else kept the service's core busy (pinned, self-started runs): the service had less than its
   * core, so a good result still holds (a lower bound) but a bad one may not be the service's.
   */
  readonly disturbance?: string;
}

/** One planned call: when it dials and hangs up (epoch ms), its burst phase and where its speech starts. */
interface PlannedCall {
  readonly at: number;
  readonly endAt: number;
  readonly phaseFrames: number;
  readonly speechOffset: number;
}

interface CallerPlan {
  /** `ari`: placed on the simulated Asterisk of the callers' process ({@link startAriCallers}); host and port unused. */
  readonly via: 'audiosocket' | 'ari';
  readonly host: string;
  readonly port: number;
  readonly kind: AudioKind;
  readonly calls: readonly PlannedCall[];
  readonly measureFrom: number;
  readonly measureTo: number;
  /** The report is made at this time (late onsets can still arrive until then). */
  readonly reportAt: number;
  readonly bursts: BurstSpec;
}

interface CallerReport {
  readonly dialed: number;
  readonly failedDials: number;
  readonly closedByServer: number;
  readonly callSeconds: number;
  readonly framesReceived: number;
  readonly audibleFrames: number;
  readonly framesExpected: number;
  readonly lostFrames: number;
  readonly duplicateFrames: number;
  readonly fps: number[];
  readonly gaps: GapStats;
  readonly onsets: Array<{ uuid: string; sent: number[]; seen: number[] }>;
  readonly loopDelayP99Ms: number;
  readonly tickLatenessP99Ms: number;
  readonly lateTicksPct: number;
  readonly cpuMs: number;
}

type ToCallers = { type: 'start'; plan: CallerPlan } | { type: 'ari' } | { type: 'ari-ready' } | { type: 'stop' };
type FromCallers =
  | { type: 'ready' }
  | { type: 'ari'; url: string }
  | { type: 'ari-ready' }
  | { type: 'report'; report: CallerReport }
  | { type: 'error'; message: string };

/** ARI credentials and app of the simulated Asterisk (`via: 'ari'`). */
const ARI_USER = 'loadgen';
const ARI_PASSWORD = 'loadgen-ari-password';
const ARI_APP = 'voice-adapter';
/** `agent: 'realtime'`: audio of each model answer, ms. */
export const REALTIME_ANSWER_MS = 1500;

const THIS_FILE = fileURLToPath(import.meta.url);
/** Pinned runs: the self-started service runs on this core, the generator on core 0. */
const SERVICE_CORE = 1;
/** A pinned run is disturbed when anything else kept the service's core busier than this, % of the core. */
const MAX_OTHER_LOAD_PCT = 20;
const FRAME_MS = 20;
/** One time base for every process on this machine. */
const epochNow = (): number => performance.timeOrigin + performance.now();
const sleepUntil = (t: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, t - epochNow())));
const speechFile = (kind: AudioKind): string =>
  fileURLToPath(new URL(`../test/fixtures/speech/hello-${kind === 0x12 ? 16 : 8}k.wav`, import.meta.url));

/** A deterministic uniform [0, 1) generator (mulberry32). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The calls to place: staggered starts, arrival rate or fixed concurrency, jittered durations. */
function planCalls(o: LoadOptions, t0: number, stopAt: number): PlannedCall[] {
  const rnd = uniform(42);
  const jitter = o.jitter ?? 0.2;
  const duration = (): number => 1000 * (o.durationS ?? 0) * (1 + jitter * (2 * rnd() - 1));
  const periodFrames = Math.round((o.bursts?.periodMs ?? 2000) / FRAME_MS);
  const calls: PlannedCall[] = [];
  const add = (at: number, endAt: number): void => {
    const i = calls.length;
    calls.push({ at, endAt: Math.min(endAt, stopAt), phaseFrames: (i * 7) % periodFrames, speechOffset: i * 997 });
  };
  if (o.rate !== undefined) {
    const durationMs = o.durationS === undefined ? () => 30_000 : duration;
    for (let at = t0; at < stopAt; at += 1000 / o.rate) add(at, at + durationMs());
    return calls;
  }
  const n = o.calls ?? 100;
  const rampMs = 1000 * (o.rampS ?? n / 50);
  for (let slot = 0; slot < n; slot++) {
    let at = t0 + (n > 1 ? (slot * rampMs) / n : 0);
    do {
      const endAt = o.durationS === undefined ? stopAt : at + duration();
      add(at, endAt);
      at = endAt;
    } while (at < stopAt);
  }
  return calls.sort((a, b) => a.at - b.at);
}

/** One connected call, however it was placed. */
interface CallLeg {
  /** What the agent knows the call by: the AudioSocket UUID (dialplan-direct), or the caller's channel ID (ARI). */
  readonly uuid: string;
  readonly closed: Promise<DialerCloseInfo>;
  hangup(): Promise<unknown>;
}

/** The simulated Asterisk of the callers' process (`via: 'ari'`), and how its AudioSocket legs reach the callers. */
interface AriCallers {
  readonly sim: SimulatedAsterisk;
  /** The callers' clock, set by {@link runCallers}: every leg is paced by it. */
  clock: FrameTicker | undefined;
  /** A caller's audio source → its call, waiting for the leg the source gets bridged with. */
  readonly waiting: WeakMap<object, (call: SimulatedAudioSocketCall, uuid: string) => void>;
  /** Frame handlers of the bridged legs, by AudioSocket UUID. */
  readonly frames: Map<string, (frame: ReceivedFrame) => void>;
}
let ari: AriCallers | undefined;

/** Starts the simulated Asterisk in this process (once); resolves with its URL. */
async function startAriCallers(): Promise<string> {
  if (!ari) {
    const waiting: AriCallers['waiting'] = new WeakMap();
    const frames: AriCallers['frames'] = new Map();
    const dial = audioSocketDialerLink({
      record: false,
      clock: {
        subscribe: (listener) => {
          if (!ari?.clock) throw new Error('simulated Asterisk: no callers running');
          return ari.clock.subscribe(listener);
        },
      },
      onFrame: (frame, request) => frames.get(request.uuid)?.(frame),
      onCall: (call, request) =>
        void request.source.then((audio) => {
          if (audio) waiting.get(audio)?.(call, request.uuid);
        }),
    });
    const sim = await startSimulatedAsterisk({
      username: ARI_USER,
      password: ARI_PASSWORD,
      app: ARI_APP,
      audioSocket: { dial },
    });
    ari = { sim, clock: undefined, waiting, frames };
  }
  return ari.sim.url;
}

/** Resolves once the service has registered its Stasis application on the simulated Asterisk. */
async function ariAppConnected(timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ari?.sim.isAppConnected(ARI_APP)) {
    if (Date.now() > until) throw new Error(`the service did not connect to ARI within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A caller dials in on the simulated Asterisk; resolves once the service bridged it with its AudioSocket leg. */
function placeAriCall(
  audio: AudioSource,
  onFrame: (frame: ReceivedFrame) => void,
  timeoutMs: number,
): Promise<CallLeg> {
  const a = ari;
  if (!a) return Promise.reject(new Error('no simulated Asterisk in this process'));
  return new Promise((resolve, reject) => {
    let channel: SimulatedChannel | undefined;
    const fail = (err: Error): void => {
      clearTimeout(timer);
      a.waiting.delete(audio);
      void channel?.hangup();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`call not bridged within ${timeoutMs} ms`)), timeoutMs);
    a.waiting.set(audio, (call, uuid) => {
      clearTimeout(timer);
      a.waiting.delete(audio);
      a.frames.set(uuid, onFrame);
      void call.closed.finally(() => a.frames.delete(uuid));
      resolve({ uuid: channel?.id ?? uuid, closed: call.closed, hangup: async () => channel?.hangup() });
    });
    a.sim.placeInboundCall({ audio }).then(
      (ch) => {
        channel = ch;
      },
      (err: unknown) => fail(err as Error),
    );
  });
}

/** Runs the planned calls in this process; resolves with the caller-side report at `plan.reportAt`. */
export async function runCallers(plan: CallerPlan): Promise<{ report: CallerReport; stop: () => Promise<void> }> {
  const rate = AUDIO_KIND_SAMPLE_RATE[plan.kind];
  const speech = toMono(await readWavFile(speechFile(plan.kind)));
  const clock = new MediaClock();
  const lateness: number[] = [];
  const ticks = { all: 0, late: 0 };
  clock.subscribe((tick) => {
    const now = performance.now();
    if (now < plan.measureFrom - performance.timeOrigin || now > plan.measureTo - performance.timeOrigin) return;
    ticks.all += 1;
    if (tick.firedAt - tick.scheduledAt > FRAME_MS) ticks.late += 1;
    lateness.push(tick.firedAt - tick.scheduledAt);
  });
  clock.start();
  if (plan.via === 'ari') {
    if (!ari) throw new Error('via ari: the simulated Asterisk is not running in the callers process');
    ari.clock = clock;
  }
  const open = new Set<CallLeg>();
  const timers = new Set<NodeJS.Timeout>();
  const gaps: number[] = [];
  const fps: number[] = [];
  const onsets: CallerReport['onsets'] = [];
  const totals = {
    dialed: 0,
    failedDials: 0,
    closedByServer: 0,
    callMs: 0,
    received: 0,
    audible: 0,
    expected: 0,
    lost: 0,
    dup: 0,
  };
  const inWindow = (t: number): boolean => t >= plan.measureFrom && t <= plan.measureTo;

  /** Per call: frames received in the window, from the first downlink frame; counted once, at its end. */
  interface CallState {
    firstRxAt: number;
    received: number;
    counted: boolean;
  }
  const live = new Set<CallState>();
  const countCall = (state: CallState, endedAt: number): void => {
    if (state.counted) return;
    state.counted = true;
    live.delete(state);
    const upMs = Math.min(endedAt, plan.measureTo) - Math.max(plan.measureFrom, state.firstRxAt);
    if (!(upMs > 0)) return;
    const expected = Math.floor(upMs / FRAME_MS);
    totals.callMs += upMs;
    totals.received += state.received;
    totals.expected += expected;
    totals.lost += Math.max(0, expected - state.received - 1);
    fps.push((1000 * state.received) / upMs);
  };

  const place = async (p: PlannedCall): Promise<void> => {
    const audio = burstyCallerAudio(speech, rate, p.phaseFrames, plan.bursts, p.speechOffset);
    const detector = new OnsetDetector(rate, plan.bursts);
    const sent: number[] = [];
    const seen: number[] = [];
    const state: CallState = { firstRxAt: Number.NaN, received: 0, counted: false };
    let lastRxAt = Number.NaN;
    let prev: Buffer | undefined;
    const source: AudioSource = {
      type: 'generator',
      next: (_n, frameIndex) => {
        const frame = audio.next(frameIndex);
        if (frame.onset) {
          const at = epochNow();
          if (inWindow(at)) sent.push(at);
        }
        return frame.samples;
      },
    };
    const onFrame = (f: ReceivedFrame): void => {
      if (f.kind === 0 || !f.payload) return;
      // The dialer stamps frames with performance.now(); the plan is on the cross-process epoch base.
      const at = performance.timeOrigin + f.at;
      if (Number.isNaN(state.firstRxAt)) state.firstRxAt = at;
      const onset = detector.push(f.payload, at);
      if (onset !== undefined) seen.push(onset);
      if (inWindow(at)) {
        state.received += 1;
        if (inWindow(lastRxAt)) gaps.push(at - lastRxAt);
        const audible = f.payload.some((b) => b !== 0);
        if (audible) totals.audible += 1;
        if (audible && prev?.equals(f.payload)) totals.dup += 1;
      }
      prev = f.payload;
      lastRxAt = at;
    };
    let call: CallLeg;
    totals.dialed += 1;
    try {
      call =
        plan.via === 'ari'
          ? await placeAriCall(source, onFrame, 10_000)
          : await dialAudioSocket({
              host: plan.host,
              port: plan.port,
              uuid: randomUUID(),
              kind: plan.kind,
              clock,
              connectTimeoutMs: 10_000,
              recordReceived: false,
              recordSent: false,
              source,
              onFrame,
            });
    } catch {
      totals.failedDials += 1;
      return;
    }
    open.add(call);
    live.add(state);
    onsets.push({ uuid: call.uuid, sent, seen });
    let hungUp = false;
    const hangupTimer = setTimeout(
      () => {
        hungUp = true;
        void call.hangup();
      },
      Math.max(0, p.endAt - epochNow()),
    );
    timers.add(hangupTimer);
    const info = await call.closed;
    open.delete(call);
    clearTimeout(hangupTimer);
    timers.delete(hangupTimer);
    const endedAt = epochNow();
    if (info.by === 'remote' && !hungUp && endedAt < plan.measureTo) totals.closedByServer += 1;
    countCall(state, endedAt);
  };
  for (const p of plan.calls) {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        void place(p);
      },
      Math.max(0, p.at - epochNow()),
    );
    timers.add(timer);
  }

  await sleepUntil(plan.measureFrom);
  const loop = startLoopDelay();
  const cpu0 = process.cpuUsage();
  await sleepUntil(plan.measureTo);
  const loopDelay = loop.read();
  loop.stop();
  const cpu = process.cpuUsage(cpu0);
  await sleepUntil(plan.reportAt);
  // Calls still up were up until the end of the window.
  for (const state of [...live]) countCall(state, plan.measureTo);
  const sortedLateness = Float64Array.from(lateness).sort();
  const report: CallerReport = {
    dialed: totals.dialed,
    failedDials: totals.failedDials,
    closedByServer: totals.closedByServer,
    callSeconds: totals.callMs / 1000,
    framesReceived: totals.received,
    audibleFrames: totals.audible,
    framesExpected: totals.expected,
    lostFrames: totals.lost,
    duplicateFrames: totals.dup,
    fps,
    gaps: gapStats(gaps),
    onsets,
    loopDelayP99Ms: loopDelay.p99Ms,
    tickLatenessP99Ms: percentile(sortedLateness, 0.99),
    lateTicksPct: ticks.all > 0 ? (100 * ticks.late) / ticks.all : 0,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  return {
    report,
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      await Promise.all([...open].map((c) => c.hangup()));
      await clock.close();
      if (plan.via === 'ari') {
        await ari?.sim.close();
        ari = undefined;
      }
    },
  };
}

/** The callers' child process (this file with `--callers-child`); forked early, it loads while the service starts. */
function forkCallers(): { child: ChildProcess; ready: Promise<unknown>; stop: () => Promise<void> } {
  const child: ChildProcess = fork(THIS_FILE, ['--callers-child'], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = nextMessage<FromCallers, 'ready'>(child, 'ready', 60_000);
  ready.catch(() => undefined);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || !child.connected) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.send({ type: 'stop' } satisfies ToCallers);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill();
  };
  return { child, ready, stop };
}

/** Sends the plan to the callers' child (pinned like the rest of the generator); resolves with its report. */
async function startCallersInChild(
  callers: ReturnType<typeof forkCallers>,
  plan: (now: number) => CallerPlan,
  pinCore: number | undefined,
): Promise<{ report: Promise<CallerReport>; plan: CallerPlan }> {
  await callers.ready;
  if (pinCore !== undefined) pin(callers.child.pid!, pinCore);
  const p = plan(epochNow());
  const report = nextMessage<FromCallers, 'report'>(callers.child, 'report', p.reportAt - epochNow() + 60_000).then(
    (m) => m.report,
  );
  report.catch(() => undefined);
  callers.child.send({ type: 'start', plan: p } satisfies ToCallers);
  return { report, plan: p };
}

/** Sends `type` to the callers' child; resolves with its answer of the same type. */
async function askCallers<T extends 'ari' | 'ari-ready'>(
  callers: ReturnType<typeof forkCallers>,
  type: T,
): Promise<Extract<FromCallers, { type: T }>> {
  await callers.ready;
  const answer = nextMessage<FromCallers, T>(callers.child, type, 60_000);
  callers.child.send({ type } satisfies ToCallers);
  return answer;
}

function callersChild(): void {
  let stop: (() => Promise<void>) | undefined;
  const fail = (err: unknown): void => {
    process.send?.({ type: 'error', message: (err as Error).message } satisfies FromCallers);
  };
  process.on('message', (m: ToCallers) => {
    if (m.type === 'ari') {
      startAriCallers().then((url) => process.send?.({ type: 'ari', url } satisfies FromCallers), fail);
    } else if (m.type === 'ari-ready') {
      ariAppConnected().then(() => process.send?.({ type: 'ari-ready' } satisfies FromCallers), fail);
    } else if (m.type === 'start') {
      runCallers(m.plan).then((r) => {
        stop = r.stop;
        process.send?.({ type: 'report', report: r.report } satisfies FromCallers);
      }, fail);
    } else if (m.type === 'stop') {
      void (stop?.() ?? ari?.sim.close() ?? Promise.resolve()).finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready' } satisfies FromCallers);
}

function realtimeStats(sim: RealtimeSimulator): NonNullable<LoadResult['realtime']> {
  return {
    sessions: sim.sessions.length,
    responses: sim.sessions.reduce((n, s) => n + s.responses.length, 0),
    audioDeltas: audioTotals(sim.sessions).deltas,
  };
}

function latencyStats(values: number[]): LatencyStats {
  const sorted = Float64Array.from(values).sort();
  const round = (x: number): number => +x.toFixed(1);
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** Asks the self-started service for its stats (event-loop delay since the last reset). */
function serviceStats(
  child: ChildProcess,
  reset: boolean,
): Promise<{ eventLoopP99Ms: number; eventLoopMaxMs: number }> {
  type Stats = { type: 'stats'; eventLoopP99Ms: number; eventLoopMaxMs: number };
  const reply = nextMessage<Stats, 'stats'>(child, 'stats', 10_000);
  // With a callback a closed channel is an error here, not an unhandled 'error' event; `reply` rejects on the exit.
  child.send({ type: 'stats', reset }, (err) => {
    if (err) child.kill();
  });
  return reply;
}

/** Places the calls, measures over the window, and returns every figure. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const positive = (name: string, x: number | undefined): void => {
    if (x !== undefined && !(x > 0)) throw new RangeError(`${name} must be a positive number, not ${x}`);
  };
  positive('seconds', options.seconds);
  positive('calls', options.calls);
  positive('rate', options.rate);
  positive('durationS', options.durationS);
  const kind = options.kind ?? 0x10;
  const pinning = (options.pin ?? true) && CAN_PIN;
  const bursts = options.bursts ?? {};
  const periodMs = bursts.periodMs ?? 2000;
  const via = options.via ?? 'audiosocket';
  if (via === 'ari' && options.target) throw new RangeError('via ari needs the self-started service (no target)');
  const agentMode = options.agent ?? 'echo';
  const callers = options.inline ? undefined : forkCallers();
  let service: BenchService | undefined;
  let realtime: RealtimeSimulator | undefined;
  let stopCallers = callers?.stop;
  try {
    return await measure();
  } finally {
    // Via ARI the service hangs its calls up over ARI as it stops: the simulated Asterisk (callers) stops after it.
    if (via === 'ari') {
      await service?.stop();
      service = undefined;
    }
    await stopCallers?.();
    if (options.inline && via === 'ari' && ari) {
      await ari.sim.close();
      ari = undefined;
    }
    await service?.stop();
  }

  /** `via: 'ari'`: the service's ARI settings, pointing at the simulated Asterisk the callers run. */
  async function ariEnv(): Promise<Record<string, string>> {
    if (via !== 'ari') return {};
    const url = callers ? (await askCallers(callers, 'ari')).url : await startAriCallers();
    return { ARI_URL: url, ARI_USERNAME: ARI_USER, ARI_PASSWORD, ARI_APP };
  }

  async function measure(): Promise<LoadResult> {
    /** Onsets the echo agent saw, per AudioSocket UUID (epoch ms). */
    const agentOnsets = new Map<string, number[]>();
    const agentDetectors = new WeakMap<NativeAgentSession, { uuid: string; detector: OnsetDetector }>();
    const env = options.target ? {} : await ariEnv();
    if (!options.target && agentMode === 'realtime') {
      const sim = await startRealtimeSimulator({ record: false, defaultAudioMs: REALTIME_ANSWER_MS });
      realtime = sim;
      service = await withAgent(sim, (s) =>
        startRoutedService(
          [
            realtimeBenchRoute({
              name: 'bench-realtime',
              format: kind === 0x12 ? 'pcm24k' : 'pcmu',
              url: s.url,
              agent: {
                session: {
                  turnDetection: { type: 'server_vad', silenceDurationMs: 150, interruptResponse: false },
                  transcription: false,
                },
              },
            }),
          ],
          options.vad ?? false,
          env,
        ),
      );
    } else if (!options.target) {
      service = await startEchoService(
        {
          mode: agentMode as NativeEchoAgentMode,
          onAudio: (session, audio) => {
            const at = epochNow();
            let probe = agentDetectors.get(session);
            if (!probe) {
              const incoming = session.events.find((e) => e.event === 'incoming');
              // The AudioSocket UUID (dialplan-direct), or the caller's channel (ARI): as the callers key their onsets.
              const uuid =
                incoming?.event === 'incoming' ? (incoming.channel.audiosocketUuid ?? incoming.channel.id) : undefined;
              if (!uuid) return;
              probe = { uuid, detector: new OnsetDetector(session.sampleRate, bursts) };
              agentDetectors.set(session, probe);
              agentOnsets.set(uuid, []);
            }
            const onset = probe.detector.push(audio, at);
            if (onset !== undefined) agentOnsets.get(probe.uuid)!.push(onset);
          },
        },
        options.vad ?? false,
        env,
      );
    }
    if (via === 'ari') {
      if (callers) await askCallers(callers, 'ari-ready');
      else await ariAppConnected();
    }
    const host = options.target?.host ?? '127.0.0.1';
    const port = options.target?.port ?? service!.port;
    const serverPid = options.serverPid ?? service?.child.pid;
    const pinned = pinning && (service ? pinService(service.child.pid!) : true) && pin(process.pid, 0);
    const calls = options.calls ?? 100;
    const rampMs = 1000 * (options.rampS ?? calls / 50);
    const warmupMs = 1000 * (options.warmupS ?? (options.rate === undefined ? Math.max(3, 1 + rampMs / 1000) : 3));
    const makePlan = (now: number): CallerPlan => {
      const t0 = now + 200;
      const measureFrom = t0 + warmupMs;
      const measureTo = measureFrom + 1000 * options.seconds;
      return {
        via,
        host,
        port,
        kind,
        calls: planCalls(options, t0, measureTo + 1500),
        measureFrom,
        measureTo,
        reportAt: measureTo + 1000,
        bursts,
      };
    };
    const rssBefore = serverPid === undefined ? undefined : await processRssMb(serverPid);
    {
      let plan: CallerPlan;
      let report: Promise<CallerReport>;
      if (options.inline) {
        plan = makePlan(epochNow());
        const running = runCallers(plan);
        report = running.then((r) => {
          stopCallers = r.stop;
          return r.report;
        });
      } else {
        const started = await startCallersInChild(callers!, makePlan, pinned ? 0 : undefined);
        plan = started.plan;
        report = started.report;
      }
      await sleepUntil(plan.measureFrom);
      const loop = startLoopDelay();
      const ownCpu0 = process.cpuUsage();
      if (service) await serviceStats(service.child, true);
      const cpu0 = serverPid === undefined ? undefined : await processCpuMs(serverPid);
      // The service's core is ours only if nothing else runs there: measure what else did (pinned runs).
      const core0 = service && pinned ? await coreBusyMs(SERVICE_CORE) : undefined;
      await sleepUntil(plan.measureTo);
      const cpu1 = serverPid === undefined ? undefined : await processCpuMs(serverPid);
      const core1 = core0 === undefined ? undefined : await coreBusyMs(SERVICE_CORE);
      const rss = serverPid === undefined ? undefined : await processRssMb(serverPid);
      const loopStats = service ? await serviceStats(service.child, false) : undefined;
      const agentLoop = service ? loop.read().p99Ms : undefined;
      const ownCpu = process.cpuUsage(ownCpu0);
      loop.stop();
      const r = await report;
      const windowS = (plan.measureTo - plan.measureFrom) / 1000;
      const avgConcurrent = r.callSeconds / windowS;
      const roundTrip: number[] = [];
      const uplink: number[] = [];
      const downlink: number[] = [];
      for (const c of r.onsets) {
        roundTrip.push(...matchOnsets(c.sent, c.seen, periodMs));
        const atAgent = agentOnsets.get(c.uuid);
        if (!atAgent) continue;
        uplink.push(...matchOnsets(c.sent, atAgent, periodMs));
        const agentInWindow = atAgent.filter((t) => t >= plan.measureFrom && t <= plan.measureTo);
        downlink.push(...matchOnsets(agentInWindow, c.seen, periodMs));
      }
      const invalidReasons: string[] = [];
      if (r.loopDelayP99Ms > 10)
        invalidReasons.push(`callers' event-loop delay p99 ${r.loopDelayP99Ms.toFixed(1)} ms > 10 ms`);
      if (r.lateTicksPct > 1) invalidReasons.push(`${r.lateTicksPct.toFixed(2)} % of callers' clock ticks late > 1 %`);
      if (agentLoop !== undefined && agentLoop > 10)
        invalidReasons.push(`echo agent's event-loop delay p99 ${agentLoop.toFixed(1)} ms > 10 ms`);
      if (r.failedDials > 0) invalidReasons.push(`${r.failedDials} calls failed to connect`);
      const cpuMs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
      const otherPct =
        core0 !== undefined && core1 !== undefined && cpuMs !== undefined
          ? Math.max(0, (100 * (core1 - core0 - cpuMs)) / (1000 * windowS))
          : undefined;
      const disturbance =
        otherPct !== undefined && otherPct > MAX_OTHER_LOAD_PCT
          ? `other load on the service's core ${otherPct.toFixed(0)} % > ${MAX_OTHER_LOAD_PCT} %`
          : undefined;
      const fps = Float64Array.from(r.fps).sort();
      const round = (x: number, d = 2): number => +x.toFixed(d);
      return {
        target: options.target
          ? `${host}:${port}`
          : `self-started service (VAD ${options.vad ? 'on' : 'off'}, ${agentMode} agent${via === 'ari' ? ', calls via ARI from a simulated Asterisk' : ''})`,
        mode:
          options.rate === undefined
            ? `${calls} concurrent calls${options.durationS === undefined ? '' : `, ${options.durationS} s each (±${100 * (options.jitter ?? 0.2)} %), redialled`}`
            : `${options.rate} calls/s, ${options.durationS ?? 30} s each (±${100 * (options.jitter ?? 0.2)} %)`,
        kind,
        vad: service ? (options.vad ?? false) : undefined,
        seconds: windowS,
        callers: options.inline ? 'inline' : 'child process',
        pinned,
        calls: {
          dialed: r.dialed,
          failedDials: r.failedDials,
          avgConcurrent: round(avgConcurrent, 1),
          closedByServer: r.closedByServer,
        },
        downlink: {
          fpsPerCallP50: round(percentile(fps, 0.5)),
          fpsPerCallMin: round(fps[0] ?? Number.NaN),
          gaps: r.gaps,
          framesReceived: r.framesReceived,
          audibleFrames: r.audibleFrames,
          framesExpected: r.framesExpected,
          lostFrames: r.lostFrames,
          lostPct: round(r.framesExpected > 0 ? (100 * r.lostFrames) / r.framesExpected : Number.NaN, 3),
          duplicateFrames: r.duplicateFrames,
        },
        latency: {
          roundTrip: latencyStats(roundTrip),
          ...(service && agentMode !== 'realtime'
            ? { uplink: latencyStats(uplink), downlink: latencyStats(downlink) }
            : {}),
        },
        ...(serverPid !== undefined && cpuMs !== undefined && rss !== undefined
          ? {
              server: {
                pid: serverPid,
                cpuMsPerCallSecond: round(cpuMs / r.callSeconds, 3),
                cpuPctOfCore: round((100 * cpuMs) / (1000 * windowS), 1),
                rssMb: round(rss, 1),
                rssMbPerCall: round((rss - (rssBefore ?? rss)) / Math.max(1, avgConcurrent), 3),
                ...(otherPct === undefined ? {} : { otherLoadOnCorePct: round(otherPct, 1) }),
                ...(loopStats
                  ? { eventLoopP99Ms: round(loopStats.eventLoopP99Ms), eventLoopMaxMs: round(loopStats.eventLoopMaxMs) }
                  : {}),
              },
            }
          : {}),
        generator: {
          loopDelayP99Ms: round(r.loopDelayP99Ms),
          tickLatenessP99Ms: round(r.tickLatenessP99Ms),
          lateTicksPct: round(r.lateTicksPct, 3),
          cpuMsPerCallSecond: round(r.cpuMs / r.callSeconds, 3),
          ...(agentLoop === undefined
            ? {}
            : {
                agentLoopDelayP99Ms: round(agentLoop),
                agentCpuMsPerCallSecond: round((ownCpu.user + ownCpu.system) / 1000 / r.callSeconds, 3),
              }),
        },
        ...(realtime ? { realtime: realtimeStats(realtime) } : {}),
        valid: invalidReasons.length === 0,
        invalidReasons,
        ...(disturbance ? { disturbance } : {}),
      };
    }
  }
}

const fmt = (s: LatencyStats | undefined): string =>
  s && s.count > 0 ? `p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms (${s.count} bursts)` : 'n/a';

/** The figures as a two-column table. */
export function formatLoad(r: LoadResult): string {
  const g = r.downlink.gaps;
  const rows: Array<[string, string]> = [
    ['target', r.target],
    [
      'load',
      `${r.mode}; kind 0x${r.kind.toString(16)}; callers in ${r.callers}${r.pinned ? `; pinned (service: ${servicePinning()})` : ''}`,
    ],
    ['window', `${r.seconds} s; ${r.calls.avgConcurrent} calls up on average, ${r.calls.dialed} dialled`],
    ['failed dials / closed by server', `${r.calls.failedDials} / ${r.calls.closedByServer}`],
    ['downlink frames/s per call', `p50 ${r.downlink.fpsPerCallP50}, min ${r.downlink.fpsPerCallMin}`],
    ['frame gaps', `p50 ${g.p50Ms.toFixed(1)} ms, p99 ${g.p99Ms.toFixed(1)} ms, max ${g.maxMs.toFixed(1)} ms`],
    ['gaps > 30 ms', `${g.pctOver30Ms.toFixed(3)} %`],
    [
      'lost frames',
      `${r.downlink.lostFrames} of ${r.downlink.framesExpected} expected (${r.downlink.lostPct} %); received ${r.downlink.framesReceived}, ${r.downlink.audibleFrames} not silent`,
    ],
    ['duplicated frames', String(r.downlink.duplicateFrames)],
    ['round trip (echo) latency', fmt(r.latency.roundTrip)],
  ];
  if (r.latency.uplink) rows.push(['uplink latency (caller → agent)', fmt(r.latency.uplink)]);
  if (r.latency.downlink) rows.push(['downlink latency (agent → caller)', fmt(r.latency.downlink)]);
  if (r.realtime)
    rows.push([
      'Realtime model (whole run)',
      `${r.realtime.sessions} sessions, ${r.realtime.responses} answers, ${r.realtime.audioDeltas} audio deltas`,
    ]);
  if (r.server) {
    const s = r.server;
    rows.push(
      [
        'server CPU',
        `${s.cpuMsPerCallSecond} ms per call-second, ${s.cpuPctOfCore} % of a core${s.otherLoadOnCorePct === undefined ? '' : ` (other load on its core: ${s.otherLoadOnCorePct} %)`}`,
      ],
      ['server RSS', `${s.rssMb} MB, ${s.rssMbPerCall} MB per call`],
    );
    if (s.eventLoopP99Ms !== undefined)
      rows.push(['server event-loop delay', `p99 ${s.eventLoopP99Ms} ms, max ${s.eventLoopMaxMs} ms`]);
  }
  const gen = r.generator;
  rows.push([
    'generator',
    `loop delay p99 ${gen.loopDelayP99Ms} ms${gen.agentLoopDelayP99Ms === undefined ? '' : ` (agent ${gen.agentLoopDelayP99Ms} ms)`}, tick lateness p99 ${gen.tickLatenessP99Ms} ms, ${gen.lateTicksPct} % ticks late, CPU ${gen.cpuMsPerCallSecond} ms per call-second${gen.agentCpuMsPerCallSecond === undefined ? '' : ` (agent ${gen.agentCpuMsPerCallSecond} ms)`}`,
  ]);
  rows.push(['valid', r.valid ? 'yes' : `INVALID: ${r.invalidReasons.join('; ')}`]);
  if (r.disturbance) rows.push(['disturbed', r.disturbance]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

const HELP = `Usage: npm run loadgen -- [options]

Dials simulated Asterisk AudioSocket calls (real speech with 1 kHz tone bursts) and measures them from the callers'
side. Without --target it starts the service itself with a native WebSocket echo agent.

  --target host:port   any AudioSocket server (e.g. another vendor's echo server); default: start ours
  --server-pid PID     with --target: read that server's CPU and RSS from /proc
  --calls N            concurrent calls (default 100)
  --rate R             instead of --calls: R call arrivals per second
  --duration S         mean call duration, s (default: whole run; with --rate 30)
  --jitter F           uniform jitter of the duration, fraction (default 0.2)
  --seconds S          measured window, s (default 15)
  --warmup S           load before the window, s (default max(3, 1 + ramp))
  --ramp S             --calls: spread the starts over S s (default N/50)
  --kind 0x10|0x12     slin 8 kHz (default) or slin16
  --vad                self-started service: VAD on (silero)
  --via MODE           self-started service: audiosocket (default, dialplan-direct AudioSocket) or ari (a simulated
                       Asterisk in the callers' process, the service in ARI mode: StasisStart, externalMedia
                       AudioSocket, bridge; same caller-side figures)
  --agent MODE         self-started service's agent: echo (default), speaker, burst, parrot (latency needs echo), or
                       realtime (the Realtime simulator; its server VAD ends each caller turn and the model answers it
                       with ${REALTIME_ANSWER_MS} ms of audio; frame figures and answer counts, no latency)
  --inline             run the callers in this process (default: a child process)
  --no-pin             do not pin with taskset (default: service core 1, generator core 0)
  --json FILE          also write the figures as JSON
  --help`;

async function main(): Promise<void> {
  const { values } = scriptArgs('loadgen', HELP, {
    target: { type: 'string' },
    'server-pid': { type: 'string' },
    calls: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    jitter: { type: 'string' },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string' },
    ramp: { type: 'string' },
    kind: { type: 'string', default: '0x10' },
    vad: { type: 'boolean', default: false },
    agent: { type: 'string' },
    via: { type: 'string' },
    inline: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    json: { type: 'string' },
  });
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  const kind = Number(values.kind);
  if (kind !== 0x10 && kind !== 0x12) throw new Error(`--kind must be 0x10 or 0x12, not ${values.kind}`);
  let target: LoadOptions['target'];
  if (values.target) {
    const at = values.target.lastIndexOf(':');
    target = { host: values.target.slice(0, at) || '127.0.0.1', port: Number(values.target.slice(at + 1)) };
  }
  const agents: readonly LoadAgent[] = ['echo', 'speaker', 'burst', 'parrot', 'realtime'];
  const agent = values.agent as LoadAgent | undefined;
  if (agent !== undefined && !agents.includes(agent)) throw new Error(`--agent must be one of ${agents.join(', ')}`);
  const via = values.via as LoadOptions['via'];
  if (via !== undefined && via !== 'audiosocket' && via !== 'ari') throw new Error('--via must be audiosocket or ari');
  const opt = <K extends keyof LoadOptions>(key: K, value: LoadOptions[K] | undefined) =>
    value === undefined ? {} : { [key]: value };
  const result = await runLoad({
    seconds: Number(values.seconds),
    kind,
    vad: values.vad,
    inline: values.inline,
    pin: !values['no-pin'],
    ...opt('target', target),
    ...opt('agent', agent),
    ...opt('via', via),
    ...opt('serverPid', num(values['server-pid'])),
    ...opt('calls', num(values.calls)),
    ...opt('rate', num(values.rate)),
    ...opt('durationS', num(values.duration)),
    ...opt('jitter', num(values.jitter)),
    ...opt('warmupS', num(values.warmup)),
    ...opt('rampS', num(values.ramp)),
  });
  process.stdout.write(`${formatLoad(result)}\n`);
  if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--callers-child') callersChild();
  else
    main().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
}
