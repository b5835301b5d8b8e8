/**
 * The load's agent side: without a `target`, the service is started here (its own process, bench/lib/echo-service.ts)
 * with one route to an agent started in this process — a native-protocol agent (echo by default) whose received audio
 * is searched for the callers' tone-burst onsets (uplink latency), or the Realtime simulator (`agent: 'realtime'`).
 */
import type { AudioKind } from '../../src/protocols/audiosocket/kinds.js';
import type { NativeAgentSession, NativeEchoAgentMode } from '../../src/simulator/agents/native-echo-agent.js';
import { type RealtimeSimulator, startRealtimeSimulator } from '../../src/simulator/realtime/realtime-simulator.js';
import {
  type BenchService,
  type ServiceSetup,
  startEchoService,
  startRoutedService,
  withAgent,
} from '../lib/echo-service.js';
import { audioTotals, realtimeBenchRoute } from '../lib/realtime-callers.js';
import { type BurstSpec, OnsetDetector } from '../lib/tone-onsets.js';
import { epochNow, type LoadAgent, type LoadResult, REALTIME_ANSWER_MS } from './types.js';

export interface LoadService {
  readonly service: BenchService;
  /**
   * Onsets the native agent saw (epoch ms), per call as the callers key theirs: the AudioSocket UUID
   * (dialplan-direct) or the caller's channel (ARI). Empty with the Realtime simulator.
   */
  readonly agentOnsets: ReadonlyMap<string, readonly number[]>;
  /** `agent: 'realtime'`: the simulator (closed with the service). */
  readonly realtime?: RealtimeSimulator;
}

/**
 * Starts the agent, then the service routing every call to it (`setup`: extra service settings, e.g. ARI or knobs
 * under test, and the checkout the service comes from).
 */
export async function startLoadService(opts: {
  readonly agent: LoadAgent;
  readonly kind: AudioKind;
  readonly vad: boolean;
  readonly bursts: BurstSpec;
  readonly setup: ServiceSetup;
}): Promise<LoadService> {
  const agentOnsets = new Map<string, number[]>();
  if (opts.agent === 'realtime') {
    const sim = await startRealtimeSimulator({ record: false, defaultAudioMs: REALTIME_ANSWER_MS });
    const service = await withAgent(sim, (s) =>
      startRoutedService(
        [
          realtimeBenchRoute({
            name: 'bench-realtime',
            format: opts.kind === 0x12 ? 'pcm24k' : 'pcmu',
            url: s.url,
            agent: {
              session: {
                turnDetection: { type: 'server_vad', silenceDurationMs: 150, interruptResponse: false },
                transcription: false,
              },
            },
          }),
        ],
        opts.vad,
        opts.setup,
      ),
    );
    return { service, agentOnsets, realtime: sim };
  }
  const agentDetectors = new WeakMap<NativeAgentSession, { uuid: string; detector: OnsetDetector }>();
  const service = await startEchoService(
    {
      mode: opts.agent as NativeEchoAgentMode,
      onAudio: (session, audio) => {
        const at = epochNow();
        let probe = agentDetectors.get(session);
        if (!probe) {
          const incoming = session.events.find((e) => e.event === 'incoming');
          // The AudioSocket UUID (dialplan-direct), or the caller's channel (ARI): as the callers key their onsets.
          const uuid =
            incoming?.event === 'incoming' ? (incoming.channel.audiosocketUuid ?? incoming.channel.id) : undefined;
          if (!uuid) return;
          probe = { uuid, detector: new OnsetDetector(session.sampleRate, opts.bursts) };
          agentDetectors.set(session, probe);
          agentOnsets.set(uuid, []);
        }
        const onset = probe.detector.push(audio, at);
        if (onset !== undefined) agentOnsets.get(probe.uuid)!.push(onset);
      },
    },
    opts.vad,
    opts.setup,
  );
  return { service, agentOnsets };
}

/** The Realtime simulator's sessions, the responses its model started, and their audio deltas (whole run). */
export function realtimeStats(sim: RealtimeSimulator): NonNullable<LoadResult['realtime']> {
  return {
    sessions: sim.sessions.length,
    responses: sim.sessions.reduce((n, s) => n + s.responses.length, 0),
    audioDeltas: audioTotals(sim.sessions).deltas,
  };
}
