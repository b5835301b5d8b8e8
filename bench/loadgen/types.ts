/**
 * The load generator's options and result figures (bench/loadgen.ts documents what each figure means), and the time
 * base shared by its processes.
 */
import type { AudioKind } from '../../src/protocols/audiosocket/kinds.js';
import type { Placement, WindowCpu } from '../lib/cpu-accounting.js';
import type { ServicePinning } from '../lib/service-process.js';
import type { NativeEchoAgentMode } from '../../src/simulator/agents/native-echo-agent.js';
import type { GapStats } from '../lib/stats.js';
import type { BurstSpec } from '../lib/tone-onsets.js';

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
  /**
   * How a pinned self-started service is placed (bench/lib/service-process.ts): `one-core` (all its threads on core 1)
   * or `main-thread` (its event loop on core 1, its other threads — VAD worker, V8 helpers — on core 0). Default:
   * BENCH_PINNING, else `one-core`.
   */
  readonly pinning?: ServicePinning;
  /**
   * Phases of the callers' 20 ms clock the calls are spread over, uniformly (1 … 20; default 20, 1 ms apart). 1 is
   * the aligned worst case: every call sends in the same millisecond.
   */
  readonly phases?: number;
  /**
   * The self-started service with media workers (bench/suites/media-workers.ts): pin the primary, each worker (by
   * PID, once the service is ready: a forked worker would otherwise keep the affinity the primary had at its start)
   * and the generator (this process and the callers' child) each to its core, and account the window's CPU per
   * process and per core (`LoadResult.processCpu`). Replaces `pinning`; the service must have as many workers as
   * `placement.workers` names (set MEDIA_WORKERS in `serviceEnv`).
   */
  readonly placement?: Placement;
  /** Extra environment of the self-started service (knobs under test), applied last. */
  readonly serviceEnv?: Readonly<Record<string, string>>;
  /** The checkout whose service is started (default: this one), e.g. an older commit for a before/after run. */
  readonly serviceRoot?: string;
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
  /** Placement of the self-started service's threads, when pinned. */
  readonly pinning?: ServicePinning;
  /** Phases of the callers' clock (1: aligned). */
  readonly phases: number;
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
    /** The self-started service's event-loop (main) thread alone, % of a core. */
    readonly mainThreadPctOfCore?: number;
    readonly rssMb: number;
    readonly rssMbPerCall: number;
    readonly eventLoopP99Ms?: number;
    readonly eventLoopMaxMs?: number;
    /** Busy time of the service's core not spent by the service (other processes, interrupts), % of the core. */
    readonly otherLoadOnCorePct?: number;
    /**
     * The self-started service's garbage-collection pauses in the window (its `ava_nodejs_gc_duration_seconds`):
     * total ms, how many, and their share of the window, %.
     */
    readonly gc?: { readonly pauseMs: number; readonly pauses: number; readonly pctOfWindow: number };
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
  /** With `placement`: where each process was pinned and what each process and core used in the window. */
  readonly processCpu?: WindowCpu & { readonly placement: Placement };
  readonly valid: boolean;
  readonly invalidReasons: readonly string[];
  /**
   * Set when something else kept the service's core busy (pinned, self-started runs): the service had less than its
   * core, so a good result still holds (a lower bound) but a bad one may not be the service's.
   */
  readonly disturbance?: string;
}

/** `agent: 'realtime'`: audio of each model answer, ms. */
export const REALTIME_ANSWER_MS = 1500;
/** Length of one audio frame, ms. */
export const FRAME_MS = 20;
/** One time base for every process on this machine. */
export const epochNow = (): number => performance.timeOrigin + performance.now();
export const sleepUntil = (t: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, t - epochNow())));
