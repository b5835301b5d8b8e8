/**
 * `via: 'ari'`: the simulated Asterisk of the callers' process. Each caller dials in on it
 * (`placeInboundCall({ audio })`); the service answers over ARI and bridges the channel with an externalMedia
 * AudioSocket leg, which the simulated Asterisk dials back to the service, paced by the callers' clock.
 */
import type { AudioSource } from '../../src/simulator/audio/audio-source.js';
import { audioSocketDialerLink } from '../../src/simulator/ari/audiosocket-dialer-link.js';
import { startSimulatedAsterisk } from '../../src/simulator/ari/simulated-asterisk.js';
import type { SimulatedChannel } from '../../src/simulator/ari/simulated-channel.js';
import type {
  DialerCloseInfo,
  FrameTicker,
  ReceivedFrame,
  SimulatedAudioSocketCall,
} from '../../src/simulator/audiosocket-dialer.js';

/** ARI credentials and app of the simulated Asterisk. */
export const ARI_USER = 'loadgen';
export const ARI_PASSWORD = 'loadgen-ari-password';
export const ARI_APP = 'voice-adapter';

/** One connected call, however it was placed. */
export interface CallLeg {
  /** What the agent knows the call by: the AudioSocket UUID (dialplan-direct), or the caller's channel ID (ARI). */
  readonly uuid: string;
  readonly closed: Promise<DialerCloseInfo>;
  hangup(): Promise<unknown>;
}

/** The simulated Asterisk of the callers' process, and how its AudioSocket legs reach the callers. */
export interface AriCallers {
  /** Its ARI base URL. */
  readonly url: string;
  /** Every leg is paced by this clock: the callers' own, set by `runCallers` before it places calls. */
  useClock(clock: FrameTicker): void;
  /** Resolves once the service has registered its Stasis application (rejects after the timeout). */
  appConnected(timeoutMs?: number): Promise<void>;
  /** A caller dials in; resolves once the service bridged it with its AudioSocket leg. */
  place(audio: AudioSource, onFrame: (frame: ReceivedFrame) => void, timeoutMs: number): Promise<CallLeg>;
  /** Stops the simulated Asterisk (idempotent). */
  close(): Promise<void>;
}

/** The environment that points the service at these callers' simulated Asterisk. */
export function ariEnv(url: string): Record<string, string> {
  return { ARI_URL: url, ARI_USERNAME: ARI_USER, ARI_PASSWORD, ARI_APP };
}

/** Starts the simulated Asterisk in this process. */
export async function startAriCallers(): Promise<AriCallers> {
  let clock: FrameTicker | undefined;
  /** A caller's audio source → its call, waiting for the leg the source gets bridged with. */
  const waiting = new WeakMap<object, (call: SimulatedAudioSocketCall, uuid: string) => void>();
  /** Frame handlers of the bridged legs, by AudioSocket UUID. */
  const frames = new Map<string, (frame: ReceivedFrame) => void>();
  const dial = audioSocketDialerLink({
    record: false,
    clock: {
      subscribe: (listener) => {
        if (!clock) throw new Error('simulated Asterisk: no callers running');
        return clock.subscribe(listener);
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
  let closing: Promise<void> | undefined;
  return {
    url: sim.url,
    useClock: (c) => {
      clock = c;
    },
    appConnected: async (timeoutMs = 30_000) => {
      const until = Date.now() + timeoutMs;
      while (!sim.isAppConnected(ARI_APP)) {
        if (Date.now() > until) throw new Error(`the service did not connect to ARI within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    place: (audio, onFrame, timeoutMs) =>
      new Promise((resolve, reject) => {
        let channel: SimulatedChannel | undefined;
        const fail = (err: Error): void => {
          clearTimeout(timer);
          waiting.delete(audio);
          void channel?.hangup();
          reject(err);
        };
        const timer = setTimeout(() => fail(new Error(`call not bridged within ${timeoutMs} ms`)), timeoutMs);
        waiting.set(audio, (call, uuid) => {
          clearTimeout(timer);
          waiting.delete(audio);
          frames.set(uuid, onFrame);
          void call.closed.finally(() => frames.delete(uuid));
          resolve({ uuid: channel?.id ?? uuid, closed: call.closed, hangup: async () => channel?.hangup() });
        });
        sim.placeInboundCall({ audio }).then(
          (ch) => {
            channel = ch;
          },
          (err: unknown) => fail(err as Error),
        );
      }),
    close: () => {
      closing ??= sim.close();
      return closing;
    },
  };
}
