/** Summary of one measured interval over a call's turns, in milliseconds. */
export interface LatencyStat {
  count: number;
  lastMs: number;
  meanMs: number;
  maxMs: number;
}

/**
 * Per-call latency breakdown of agent turns: caller speech end → first agent audio after it
 * (`speechEndToAgentAudio`), that audio → its first frame sent to Asterisk (`agentAudioToFirstFrame`), and the
 * whole of it (`speechEndToFirstFrame`).
 */
export interface CallLatency {
  turns: number;
  speechEndToAgentAudio: LatencyStat | null;
  agentAudioToFirstFrame: LatencyStat | null;
  speechEndToFirstFrame: LatencyStat | null;
}

class RunningStat {
  count = 0;
  last = 0;
  sum = 0;
  max = 0;

  add(ms: number): void {
    this.count += 1;
    this.last = ms;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  summary(): LatencyStat | null {
    if (this.count === 0) return null;
    const round = (v: number) => Math.round(v * 10) / 10;
    return {
      count: this.count,
      lastMs: round(this.last),
      meanMs: round(this.sum / this.count),
      maxMs: round(this.max),
    };
  }
}

/**
 * Measures turn latency from three moments a media bridge knows: caller speech ended, agent audio arrived, an agent
 * frame was sent. Only the first agent audio after a speech end, and the first frame of it, count.
 */
export class TurnLatencyMeter {
  readonly #now: () => number;
  readonly #toAgentAudio = new RunningStat();
  readonly #toFirstFrame = new RunningStat();
  readonly #total = new RunningStat();
  #speechEndAt: number | undefined;
  #agentAudioAt: number | undefined;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** The caller stopped speaking `agoMs` before now (speech detectors report the end after some silence). */
  speechEnded(agoMs = 0): void {
    this.#speechEndAt = this.#now() - Math.max(0, agoMs);
    this.#agentAudioAt = undefined;
  }

  /** Agent audio arrived. */
  agentAudio(): void {
    if (this.#speechEndAt === undefined || this.#agentAudioAt !== undefined) return;
    this.#agentAudioAt = this.#now();
    this.#toAgentAudio.add(this.#agentAudioAt - this.#speechEndAt);
  }

  /** A frame of agent audio (not silence) was sent to the caller. */
  agentFrameSent(): void {
    if (this.#speechEndAt === undefined || this.#agentAudioAt === undefined) return;
    const now = this.#now();
    this.#toFirstFrame.add(now - this.#agentAudioAt);
    this.#total.add(now - this.#speechEndAt);
    this.#speechEndAt = undefined;
    this.#agentAudioAt = undefined;
  }

  summary(): CallLatency {
    return {
      turns: this.#total.count,
      speechEndToAgentAudio: this.#toAgentAudio.summary(),
      agentAudioToFirstFrame: this.#toFirstFrame.summary(),
      speechEndToFirstFrame: this.#total.summary(),
    };
  }
}
