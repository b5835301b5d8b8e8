import { readFileSync } from 'node:fs';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone } from '../../src/audio/tone-analysis.js';
import type { RealtimeAgent } from '../../src/calls/agents/realtime-agent.js';
import { createRealtimeAgent } from '../../src/calls/agents/realtime-agent-factory.js';
import { InProcessToolInvoker, type ToolHandler } from '../../src/calls/agents/realtime-tool-invoker.js';
import { MemoryTranscriptSink } from '../../src/calls/agents/realtime-transcripts.js';
import type { CallSession } from '../../src/calls/call-session.js';
import type { RealtimeAgentConfig } from '../../src/config/realtime-route.js';
import { decodeWav, toMono } from '../../src/simulator/audio/wav.js';
import {
  type RealtimeSimulator,
  type RealtimeSimulatorOptions,
  startRealtimeSimulator,
} from '../../src/simulator/realtime/realtime-simulator.js';
import { type AriHarness, startAriHarness } from './ari-harness.js';
import { trimSilence } from './audio-checks.js';

export const REALTIME_KEY = 'sk-test-realtime-0123456789';

export interface RealtimeHarness {
  sim: RealtimeSimulator;
  h: AriHarness;
  transcripts: MemoryTranscriptSink;
  tools: InProcessToolInvoker;
  /** Agents built for calls, in order. */
  agents: RealtimeAgent[];
  stop(): Promise<void>;
}

export interface RealtimeHarnessOptions {
  sim?: RealtimeSimulatorOptions;
  /** Agent keys of the route besides kind/url/secretEnv. */
  agent?: Record<string, unknown>;
  /** Route keys besides name/agent. */
  route?: Record<string, unknown>;
  env?: Record<string, string>;
  handlers?: Record<string, ToolHandler>;
  /** The key the adapter sends; the simulator expects REALTIME_KEY. */
  apiKey?: string;
  /** Build agents with the service's own factory (route secretEnv, default deps) instead of test deps. */
  useServiceFactory?: boolean;
}

/** The simulated Asterisk, the real service and the Realtime simulator, with a route to it. */
export async function startRealtimeHarness(options: RealtimeHarnessOptions = {}): Promise<RealtimeHarness> {
  const sim = await startRealtimeSimulator({ apiKey: REALTIME_KEY, ...options.sim });
  const transcripts = new MemoryTranscriptSink();
  const tools = new InProcessToolInvoker({ handlers: options.handlers ?? {} });
  const agents: RealtimeAgent[] = [];
  const holder: { h?: AriHarness } = {};
  const routesJson = {
    routes: [
      {
        name: 'realtime',
        agent: { kind: 'openai-realtime', url: sim.url, secretEnv: 'RT_KEY', ...options.agent },
        ...options.route,
      },
    ],
  };
  let h: AriHarness;
  try {
    h = await startAriHarness(
      { RT_KEY: options.apiKey ?? REALTIME_KEY, ...options.env },
      {
        routesJson,
        ...(options.useServiceFactory
          ? {}
          : {
              agents: {
                'openai-realtime': (call) => {
                  const agent = createRealtimeAgent(
                    call,
                    call.route.agent as RealtimeAgentConfig,
                    options.apiKey ?? REALTIME_KEY,
                    { tools, transcripts },
                    holder.h!.logs.logger,
                  );
                  agents.push(agent);
                  return agent;
                },
              },
            }),
      },
    );
  } catch (err) {
    await sim.close();
    throw err;
  }
  holder.h = h;
  return {
    sim,
    h,
    transcripts,
    tools,
    agents,
    async stop() {
      await h.stop();
      await sim.close();
    },
  };
}

/** The speech fixture as samples. */
export function speechSamples(name: 'hello-8k' | 'hello-16k'): Int16Array {
  const wav = decodeWav(readFileSync(new URL(`../fixtures/speech/${name}.wav`, import.meta.url)));
  return toMono(wav);
}

/** `silenceMs` of silence, then `speech`, then silence (the source keeps sending silence after its end). */
export function callerSaying(speech: Int16Array, rate: number, silenceMs: number): Int16Array {
  const lead = Math.round((rate * silenceMs) / 1000);
  const tail = Math.round(rate * 1.0);
  const out = new Int16Array(lead + speech.length + tail);
  out.set(speech, lead);
  return out;
}

/** `leadMs` of silence, then a short voiced burst (a 300 Hz tone) the simulator's VAD takes for a caller turn. */
export function callerBurst(rate: number, leadMs = 300, burstMs = 500): Int16Array {
  return callerSaying(generateTone({ rate, freq: 300, amplitude: 6000, ms: burstMs }), rate, leadMs);
}

/** The one live call's session. */
export function onlySession(h: AriHarness): CallSession {
  const s = h.app.registry.list()[0];
  if (!s) throw new Error('no live call');
  return s;
}

/** Audio frames the simulated AudioSocket received from the service (towards the caller), as PCM. */
export function receivedPcm(h: AriHarness, index = 0): Buffer {
  const call = h.media[index];
  if (!call) return Buffer.alloc(0);
  return Buffer.concat(call.received.filter((f) => f.kind !== 0x00 && f.payload).map((f) => f.payload!));
}

/** Milliseconds of non-silent audio the caller received (frames with any sample over `threshold`). */
export function voicedMs(h: AriHarness, rate: number, index = 0, threshold = 200): number {
  const call = h.media[index];
  if (!call) return 0;
  let ms = 0;
  for (const f of call.received) {
    if (f.kind === 0x00 || !f.payload) continue;
    const samples = pcmSamples(f.payload);
    let voiced = 0;
    for (const v of samples) if (Math.abs(v) > threshold) voiced += 1;
    if (voiced > 0) ms += (samples.length * 1000) / rate;
  }
  return ms;
}

export { trimSilence };
