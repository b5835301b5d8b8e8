/**
 * Shared parts of the benchmarks that put live OpenAI Realtime calls through the service: the routes file naming
 * the Realtime simulator, the dialplan-direct AudioSocket callers (silence up, the service's frames down, their
 * inter-frame gaps collected in a measuring window), and the simulator's audio counters.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { MediaClock } from '../../src/audio/media-clock.js';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import type { SimRealtimeSession } from '../../src/simulator/realtime/realtime-sim-session.js';

export type RealtimeBenchFormat = 'pcmu' | 'pcm24k';

/** AudioSocket kind of a format's call leg: slin 8 kHz for pcmu, slin16 for pcm24k. */
export const audioKindOf = (format: RealtimeBenchFormat): 0x10 | 0x12 => (format === 'pcmu' ? 0x10 : 0x12);

/**
 * A route admitting these dialplan-direct UUIDs (any call without `uuids`) to an `openai-realtime` agent at `url`
 * (turn detection and transcription off: the simulator's VAD would cost the generator's core; the service's work is
 * the same). `agent` and `route` add keys (tools, secrets, another session).
 */
export function realtimeBenchRoute(opts: {
  readonly name: string;
  readonly uuids?: readonly string[];
  readonly format: RealtimeBenchFormat;
  readonly url: string;
  readonly agent?: Record<string, unknown>;
  readonly route?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    name: opts.name,
    ...(opts.uuids ? { match: { audiosocketUuids: opts.uuids } } : {}),
    audioFormat: opts.format === 'pcmu' ? 'slin' : 'slin16',
    agent: {
      kind: 'openai-realtime',
      url: opts.url,
      audio: opts.format === 'pcmu' ? 'pcmu' : 'pcm24k',
      session: { turnDetection: { type: 'none' }, transcription: false },
      ...opts.agent,
    },
    ...opts.route,
  };
}

/** Writes `{routes}` to a fresh temporary directory; resolves with the file's path. */
export async function writeRoutesFile(routes: readonly unknown[], tag = 'realtime'): Promise<string> {
  const dir = await mkdtemp(`/tmp/ava-bench-${tag}-`);
  const file = `${dir}/routes.json`;
  await writeFile(file, JSON.stringify({ routes }));
  return file;
}

/** Frames the callers received in a measuring window, and the gaps between consecutive frames of each call. */
export interface DownlinkWindow {
  readonly gaps: number[];
  readonly frames: number;
}

export interface SilentCallers {
  readonly dialers: readonly SimulatedAudioSocketCall[];
  /** Starts a new measuring window (the first gap of each call in it may begin just before it). */
  startWindow(): void;
  /** Ends the window and hands over what it collected. */
  endWindow(): DownlinkWindow;
  hangup(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Dials one AudioSocket call per UUID (20 at a time, 100 ms apart), each sending silence on the shared clock and
 * timing the audio frames the service sends back.
 */
export async function dialSilentCallers(opts: {
  readonly port: number;
  readonly uuids: readonly string[];
  readonly kind: 0x10 | 0x12;
  readonly clock: MediaClock;
}): Promise<SilentCallers> {
  const dialers: SimulatedAudioSocketCall[] = [];
  const last = new Map<string, number>();
  let window: { gaps: number[]; frames: number } | undefined;
  const hangup = async (): Promise<void> => {
    await Promise.all(dialers.map((d) => d.hangup().catch(() => undefined)));
  };
  try {
    for (const [i, uuid] of opts.uuids.entries()) {
      dialers.push(
        await dialAudioSocket({
          host: '127.0.0.1',
          port: opts.port,
          uuid,
          kind: opts.kind,
          clock: opts.clock,
          source: { type: 'silence' },
          recordReceived: false,
          recordSent: false,
          onFrame: (f) => {
            if (f.kind !== opts.kind) return;
            const prev = last.get(uuid);
            last.set(uuid, f.at);
            if (!window) return;
            window.frames += 1;
            if (prev !== undefined) window.gaps.push(f.at - prev);
          },
        }),
      );
      if (i % 20 === 19) await sleep(100);
    }
  } catch (err) {
    await hangup();
    throw err;
  }
  return {
    dialers,
    startWindow: () => {
      window = { gaps: [], frames: 0 };
    },
    endWindow: () => {
      const w = window ?? { gaps: [], frames: 0 };
      window = undefined;
      return w;
    },
    hangup,
  };
}

/** Audio appends received and audio deltas sent by the simulator, summed over sessions. */
export function audioTotals(sessions: readonly SimRealtimeSession[]): { appends: number; deltas: number } {
  let appends = 0;
  let deltas = 0;
  for (const s of sessions) {
    appends += s.stats.appends;
    deltas += s.stats.deltas;
  }
  return { appends, deltas };
}
