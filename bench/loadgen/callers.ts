/**
 * The simulated Asterisk callers of the load generator: the plan of calls (staggered starts, arrival rate or fixed
 * concurrency, jittered durations) and the callers that dial them — dialplan-direct AudioSocket, or through the
 * simulated Asterisk (`via: 'ari'`, ari-callers.ts) — sending real speech with tone bursts on one media clock and
 * measuring what comes back (bench/loadgen.ts lists the figures).
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type AudioKind, AUDIO_KIND_SAMPLE_RATE } from '../../src/protocols/audiosocket/kinds.js';
import type { AudioSource } from '../../src/simulator/audio/audio-source.js';
import { readWavFile, toMono } from '../../src/simulator/audio/wav.js';
import { dialAudioSocket, type ReceivedFrame } from '../../src/simulator/audiosocket-dialer.js';
import { type GapStats, gapStats, percentile, startLoopDelay } from '../lib/stats.js';
import { type BurstSpec, callerTape, OnsetDetector } from '../lib/tone-onsets.js';
import type { AriCallers, CallLeg } from './ari-callers.js';
import { checkPhases, MAX_PHASES, PhasedClock } from './phased-clock.js';
import { epochNow, FRAME_MS, type LoadOptions, sleepUntil } from './types.js';

/**
 * One planned call: when it dials and hangs up (epoch ms), its phase within the 20 ms period (index into the callers'
 * {@link PhasedClock}), its burst phase and where its speech starts.
 */
export interface PlannedCall {
  readonly at: number;
  readonly endAt: number;
  readonly phase: number;
  readonly phaseFrames: number;
  readonly speechOffset: number;
}

export interface CallerPlan {
  /** `ari`: placed on the simulated Asterisk of the callers' process (ari-callers.ts); host and port unused. */
  readonly via: 'audiosocket' | 'ari';
  readonly host: string;
  readonly port: number;
  readonly kind: AudioKind;
  /** Phases of the callers' clock: the calls' frames are spread over them (1: all calls aligned). */
  readonly phases: number;
  readonly calls: readonly PlannedCall[];
  readonly measureFrom: number;
  readonly measureTo: number;
  /** The report is made at this time (late onsets can still arrive until then). */
  readonly reportAt: number;
  readonly bursts: BurstSpec;
}

export interface CallerReport {
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

const speechFile = (kind: AudioKind): string =>
  fileURLToPath(new URL(`../../test/fixtures/speech/hello-${kind === 0x12 ? 16 : 8}k.wav`, import.meta.url));

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

/**
 * The calls to place: staggered starts, arrival rate or fixed concurrency, jittered durations. Each call gets a phase
 * of the callers' clock in turn (0, 1, …, phases − 1, 0, …), so the calls in progress are spread uniformly over the
 * period; a redialled call (fixed concurrency with `durationS`) keeps the phase of the call it replaces.
 */
export function planCalls(o: LoadOptions, t0: number, stopAt: number): PlannedCall[] {
  const phases = checkPhases(o.phases ?? MAX_PHASES);
  const rnd = uniform(42);
  const jitter = o.jitter ?? 0.2;
  const duration = (): number => 1000 * (o.durationS ?? 0) * (1 + jitter * (2 * rnd() - 1));
  const periodFrames = Math.round((o.bursts?.periodMs ?? 2000) / FRAME_MS);
  const calls: PlannedCall[] = [];
  const add = (at: number, endAt: number, slot: number): void => {
    const i = calls.length;
    calls.push({
      at,
      endAt: Math.min(endAt, stopAt),
      phase: slot % phases,
      phaseFrames: (i * 7) % periodFrames,
      speechOffset: i * 997,
    });
  };
  if (o.rate !== undefined) {
    const durationMs = o.durationS === undefined ? () => 30_000 : duration;
    for (let at = t0; at < stopAt; at += 1000 / o.rate) add(at, at + durationMs(), calls.length);
    return calls;
  }
  const n = o.calls ?? 100;
  const rampMs = 1000 * (o.rampS ?? n / 50);
  for (let slot = 0; slot < n; slot++) {
    let at = t0 + (n > 1 ? (slot * rampMs) / n : 0);
    do {
      const endAt = o.durationS === undefined ? stopAt : at + duration();
      add(at, endAt, slot);
      at = endAt;
    } while (at < stopAt);
  }
  return calls.sort((a, b) => a.at - b.at);
}

/**
 * Runs the planned calls in this process (`via: 'ari'`: on `ari`, closed by `stop`); resolves with the caller-side
 * report at `plan.reportAt`.
 */
export async function runCallers(
  plan: CallerPlan,
  ari?: AriCallers,
): Promise<{ report: CallerReport; stop: () => Promise<void> }> {
  const rate = AUDIO_KIND_SAMPLE_RATE[plan.kind];
  const speech = toMono(await readWavFile(speechFile(plan.kind)));
  // Rendered once: each call plays it from its own place and burst phase (no synthesis per frame).
  const tape = callerTape(speech, rate, plan.bursts);
  const lateness: number[] = [];
  const ticks = { all: 0, late: 0 };
  // One timer per phase; every phase tick in the window counts for the self-check.
  const clock = new PhasedClock({
    phases: plan.phases,
    onTick: (tick) => {
      const now = performance.now();
      if (now < plan.measureFrom - performance.timeOrigin || now > plan.measureTo - performance.timeOrigin) return;
      ticks.all += 1;
      if (tick.firedAt - tick.scheduledAt > FRAME_MS) ticks.late += 1;
      lateness.push(tick.firedAt - tick.scheduledAt);
    },
  });
  clock.start();
  if (plan.via === 'ari') {
    if (!ari) throw new Error('via ari: the simulated Asterisk is not running in the callers process');
    // The simulated Asterisk dials the legs itself: each new leg takes the next phase.
    ari.useClock(clock.spread());
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
    const audio = tape.caller(p.phaseFrames, p.speechOffset);
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
        plan.via === 'ari' && ari
          ? await ari.place(source, onFrame, 10_000)
          : await dialAudioSocket({
              host: plan.host,
              port: plan.port,
              uuid: randomUUID(),
              kind: plan.kind,
              clock: clock.phase(p.phase),
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
      if (plan.via === 'ari') await ari?.close();
    },
  };
}
