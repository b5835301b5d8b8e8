import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Running totals the metrics read at scrape time (ended calls plus live ones). */
export interface MediaTotals {
  framesIn: number;
  framesOut: number;
  bargeIns: number;
  playoutUnderruns: number;
  playoutOverflowBytes: number;
}

/** Adds `t` into `into` (totals of several calls or processes). */
export function addMediaTotals(into: MediaTotals, t: MediaTotals): MediaTotals {
  into.framesIn += t.framesIn;
  into.framesOut += t.framesOut;
  into.bargeIns += t.bargeIns;
  into.playoutUnderruns += t.playoutUnderruns;
  into.playoutOverflowBytes += t.playoutOverflowBytes;
  return into;
}

/** What the metrics read when scraped; each source is optional so an app without a part leaves its metrics at 0. */
export interface MetricsSources {
  activeCalls(): number;
  media(): MediaTotals;
  clock(): { ticks: number; late: number; missed: number };
  vad?(): { inferenceMs: number; windowsInferred: number } | undefined;
  /** RTP calls: counters of ended calls, port refusals (all time) and ports in use now. */
  rtp?(): {
    packetsIn: number;
    packetsOut: number;
    lost: number;
    wrongSource: number;
    portRefusals: number;
    portsInUse: number;
  };
  /** Media workers (MEDIA_WORKERS > 0): one entry per worker slot. */
  workers?(): ReadonlyArray<{ worker: number; ready: boolean; calls: number; restarts: number }>;
}

/**
 * The service's Prometheus metrics in their own registry (one per app, so several apps in one process don't mix).
 * No per-call labels: calls are counted by outcome only.
 */
export class AppMetrics {
  readonly registry = new Registry();
  readonly #callsTotal: Counter<'outcome'>;
  readonly #agentConnect: Histogram;
  readonly #agentFailures: Counter<'code'>;
  readonly #ariReconnects: Counter;
  readonly #toolCalls: Histogram;
  readonly #webhookFailures: Counter;
  readonly #toolPhases: Histogram<'phase'>;
  readonly #orphansClosed: Counter;
  readonly #mediaGaps: Counter;
  readonly #mediaGapSeconds: Histogram;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'ava_' });
    new Gauge({
      name: 'ava_active_calls',
      help: 'Calls in progress on this instance.',
      registers,
      collect() {
        this.set(sources.activeCalls());
      },
    });
    this.#callsTotal = new Counter({
      name: 'ava_calls_total',
      help: 'Calls ended on this instance, by outcome (close reason).',
      labelNames: ['outcome'],
      registers,
    });
    const total = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    total('ava_audio_frames_in_total', 'Audio frames received from Asterisk.', () => sources.media().framesIn);
    total(
      'ava_audio_frames_out_total',
      'Audio frames sent to Asterisk (agent audio and silence).',
      () => sources.media().framesOut,
    );
    total(
      'ava_barge_ins_total',
      'Agent playout flushed because the caller spoke over it.',
      () => sources.media().bargeIns,
    );
    total(
      'ava_playout_underruns_total',
      'Media clock ticks where an agent utterance was open but had no audio ready.',
      () => sources.media().playoutUnderruns,
    );
    total(
      'ava_playout_overflow_bytes_total',
      'Agent audio bytes dropped because a playout buffer was full.',
      () => sources.media().playoutOverflowBytes,
    );
    total('ava_clock_ticks_total', 'Media clock ticks delivered.', () => sources.clock().ticks);
    total(
      'ava_clock_late_ticks_total',
      'Media clock ticks that fired more than one interval late.',
      () => sources.clock().late,
    );
    total('ava_clock_missed_ticks_total', 'Media clock ticks skipped after a stall.', () => sources.clock().missed);
    total(
      'ava_vad_inference_seconds_total',
      'Time the VAD worker spent in inference.',
      () => (sources.vad?.()?.inferenceMs ?? 0) / 1000,
    );
    total(
      'ava_rtp_packets_in_total',
      'RTP packets received from Asterisk (ended calls).',
      () => sources.rtp?.().packetsIn ?? 0,
    );
    total(
      'ava_rtp_packets_out_total',
      'RTP packets sent to Asterisk (ended calls).',
      () => sources.rtp?.().packetsOut ?? 0,
    );
    total(
      'ava_rtp_packets_lost_total',
      'RTP packets from Asterisk that never arrived in time (ended calls); short holes were concealed with silence.',
      () => sources.rtp?.().lost ?? 0,
    );
    total(
      'ava_rtp_wrong_source_total',
      "Datagrams on a call's RTP port from another address than its UnicastRTP channel, dropped (ended calls).",
      () => sources.rtp?.().wrongSource ?? 0,
    );
    total(
      'ava_rtp_port_refusals_total',
      'RTP calls refused because every port of RTP_PORT_MIN..RTP_PORT_MAX was in use.',
      () => sources.rtp?.().portRefusals ?? 0,
    );
    new Gauge({
      name: 'ava_rtp_ports_in_use',
      help: 'UDP ports of the RTP range bound by calls now.',
      registers,
      collect() {
        this.set(sources.rtp?.().portsInUse ?? 0);
      },
    });
    total('ava_vad_windows_total', 'VAD windows inferred.', () => sources.vad?.()?.windowsInferred ?? 0);
    const perWorker = (read: (w: ReturnType<NonNullable<MetricsSources['workers']>>[number]) => number) =>
      function (this: Gauge<'worker'> | Counter<'worker'>) {
        this.reset();
        for (const w of sources.workers?.() ?? []) {
          if (this instanceof Gauge) this.set({ worker: String(w.worker) }, read(w));
          else this.inc({ worker: String(w.worker) }, read(w));
        }
      };
    new Gauge({
      name: 'ava_media_worker_calls',
      help: 'Calls whose media a media worker holds now, by worker.',
      labelNames: ['worker'],
      registers,
      collect: perWorker((w) => w.calls),
    });
    new Gauge({
      name: 'ava_media_worker_up',
      help: 'Whether a media worker is running and ready (1) or starting again (0), by worker.',
      labelNames: ['worker'],
      registers,
      collect: perWorker((w) => (w.ready ? 1 : 0)),
    });
    new Counter({
      name: 'ava_media_worker_restarts_total',
      help: 'Media worker processes started again after they exited unasked, by worker.',
      labelNames: ['worker'],
      registers,
      collect: perWorker((w) => w.restarts),
    });
    this.#agentConnect = new Histogram({
      name: 'ava_agent_connect_seconds',
      help: 'Time from media connected to the agent accepting the call.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    this.#agentFailures = new Counter({
      name: 'ava_agent_failures_total',
      help: 'Agents that failed to start, by error code.',
      labelNames: ['code'],
      registers,
    });
    this.#ariReconnects = new Counter({
      name: 'ava_ari_reconnects_total',
      help: 'Times the ARI events connection was re-established.',
      registers,
    });
    this.#toolCalls = new Histogram({
      name: 'ava_tool_call_seconds',
      help: "Agents' tool calls from the function call to its result, by outcome (succeeded, failed, timed_out, error).",
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#toolPhases = new Histogram({
      name: 'ava_tool_call_phase_seconds',
      help: 'Where the time of each tool run went, by phase: queued (submitted to taken by a worker), claim, tool (the tool itself), hand_over (answer to result taken by the agent or queued for the owner), finish (answer to run recorded and done).',
      labelNames: ['phase'],
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 5],
      registers,
    });
    this.#orphansClosed = new Counter({
      name: 'ava_orphaned_calls_closed_total',
      help: 'Calls of dead instances (owner lease expired) this instance closed with reason orphaned.',
      registers,
    });
    this.#mediaGaps = new Counter({
      name: 'ava_media_gaps_total',
      help: 'Times a caller leg sent no audio for longer than MEDIA_GAP_FILL_AFTER_MS (the gap was filled with silence).',
      registers,
    });
    this.#mediaGapSeconds = new Histogram({
      name: 'ava_media_gap_seconds',
      help: 'Length of each caller audio gap on the wire, observed when audio resumed or the call ended.',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.#webhookFailures = new Counter({
      name: 'ava_webhook_delivery_failures_total',
      help: 'Failed webhook delivery attempts; final="true" when the delivery gave up.',
      labelNames: ['final'],
      registers,
    });
  }

  toolCallFinished(seconds: number, outcome: string): void {
    this.#toolCalls.observe({ outcome }, seconds);
  }

  toolRun(phases: {
    queuedMs: number;
    claimMs: number;
    toolMs: number;
    handOverMs: number | undefined;
    finishMs: number;
  }): void {
    this.#toolPhases.observe({ phase: 'queued' }, phases.queuedMs / 1000);
    this.#toolPhases.observe({ phase: 'claim' }, phases.claimMs / 1000);
    this.#toolPhases.observe({ phase: 'tool' }, phases.toolMs / 1000);
    if (phases.handOverMs !== undefined) this.#toolPhases.observe({ phase: 'hand_over' }, phases.handOverMs / 1000);
    this.#toolPhases.observe({ phase: 'finish' }, phases.finishMs / 1000);
  }

  /** Mean seconds and count of each tool-run phase so far (for benchmarks). */
  async toolPhaseMeans(): Promise<Record<string, { count: number; meanMs: number }>> {
    const out: Record<string, { count: number; meanMs: number }> = {};
    const { values } = await this.#toolPhases.get();
    for (const v of values) {
      const phase = String(v.labels.phase);
      const entry = out[phase] ?? { count: 0, meanMs: 0 };
      out[phase] = entry;
      if (v.metricName === 'ava_tool_call_phase_seconds_count') entry.count = v.value;
      if (v.metricName === 'ava_tool_call_phase_seconds_sum') entry.meanMs = v.value * 1000;
    }
    for (const e of Object.values(out)) e.meanMs = e.count > 0 ? e.meanMs / e.count : 0;
    return out;
  }

  webhookAttemptFailed(final: boolean): void {
    this.#webhookFailures.inc({ final: String(final) });
  }

  orphanedCallClosed(): void {
    this.#orphansClosed.inc();
  }

  mediaGap(seconds: number): void {
    this.#mediaGaps.inc();
    this.#mediaGapSeconds.observe(seconds);
  }

  callEnded(outcome: string): void {
    this.#callsTotal.inc({ outcome });
  }

  agentConnected(seconds: number): void {
    this.#agentConnect.observe(seconds);
  }

  agentFailed(code: string): void {
    this.#agentFailures.inc({ code });
  }

  ariReconnected(): void {
    this.#ariReconnects.inc();
  }

  /** The text exposition format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
