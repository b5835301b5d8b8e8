import type { App, AppDeps } from '../../src/app.js';
import { pcmSamples } from '../../src/audio/format.js';
import { WebRtcAgent } from '../../src/calls/agents/webrtc-agent.js';
import {
  resolveWebRtcAgentSettings,
  type WebRtcAgentSettings,
  webrtcAgentOptions,
} from '../../src/calls/agents/webrtc-agent-options.js';
import type { CallLifecycleEvent } from '../../src/calls/call-session.js';
import type { CallInfo } from '../../src/calls/voice-agent.js';
import type { WebRtcAgentConfig } from '../../src/config/webrtc-route.js';
import type { Logger } from '../../src/observability/logger.js';
import type { SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { trimSilence } from '../support/audio-checks.js';

/**
 * The WebRTC agent kind wired the way the composition root is asked to wire it: the process media clock, lifecycle
 * records to the call's session, and calls of routes without `url` waiting in the given registry. Returned as
 * `AppDeps.agents`.
 */
export function webrtcAgentDeps(
  getApp: () => App | undefined,
  logger: () => Logger,
  settings: Omit<WebRtcAgentSettings, 'record'> = {},
  secrets: Record<string, string> = {},
): NonNullable<AppDeps['agents']> {
  const resolved = resolveWebRtcAgentSettings({
    // The process media clock, as the composition root passes it: agent audio and playout tick together.
    clock: { subscribe: (listener) => getApp()!.clock.subscribe(listener) },
    ...settings,
    record: (callId, type, data) => getApp()?.registry.get(callId)?.record(type, data),
  });
  return {
    webrtc: (call: CallInfo) =>
      new WebRtcAgent(
        webrtcAgentOptions(call, call.route.agent as WebRtcAgentConfig, secrets[call.route.name], resolved, logger()),
      ),
  };
}

/** Every lifecycle event of every call of `app`, in order. */
export function recordEvents(app: App): CallLifecycleEvent[] {
  const events: CallLifecycleEvent[] = [];
  app.registry.on('added', (s) => s.on('event', (e) => events.push(e)));
  return events;
}

/**
 * Audio the simulated AudioSocket leg received (towards the caller), silence trimmed at both ends. Caller audio
 * from before the agent's media connected is not sent to a WebRTC agent (it is not real time any more), so tests
 * play the caller a tone longer than the call setup can take.
 */
export function legAudio(call: SimulatedAudioSocketCall): Int16Array {
  const frames = call.received.filter((f) => f.kind >= 0x10 && f.kind <= 0x18 && f.payload);
  return trimSilence(pcmSamples(Buffer.concat(frames.map((f) => f.payload!))));
}

/** A logger that drops everything: the example agent's own log lines are of no interest to the tests. */
export function quietLogger(): Logger {
  const quiet = { child: () => quiet, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  return quiet as unknown as Logger;
}
