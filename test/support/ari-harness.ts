import type { App, AppDeps } from '../../src/app.js';
import type { SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';
import { audioSocketDialerLink } from '../../src/simulator/ari/audiosocket-dialer-link.js';
import {
  type SimulatedAsterisk,
  type SimulatedAsteriskOptions,
  startSimulatedAsterisk,
} from '../../src/simulator/ari/simulated-asterisk.js';
import { type LogCapture, startTestApp } from './app-harness.js';

export const ARI_USER = 'adapter';
export const ARI_PASSWORD = 'test-ari-password';

export interface AriHarness {
  sim: SimulatedAsterisk;
  app: App;
  logs: LogCapture;
  /** AudioSocket calls the simulated Asterisk opened, in order. */
  media: SimulatedAudioSocketCall[];
  stop(): Promise<void>;
}

/** A simulated Asterisk and the real service connected to it over ARI and AudioSocket on loopback. */
export async function startAriHarness(
  env: Record<string, string> = {},
  harnessDeps: AppDeps & {
    routesJson?: unknown;
    /** Options of the simulated Asterisk (timing of its events, modules, …). */
    sim?: Partial<Omit<SimulatedAsteriskOptions, 'username' | 'password' | 'audioSocket'>>;
  } = {},
): Promise<AriHarness> {
  const { sim: simOptions, ...deps } = harnessDeps;
  const media: SimulatedAudioSocketCall[] = [];
  const sim = await startSimulatedAsterisk({
    ...simOptions,
    username: ARI_USER,
    password: ARI_PASSWORD,
    audioSocket: { dial: audioSocketDialerLink({ onCall: (call) => media.push(call) }) },
  });
  let started: Awaited<ReturnType<typeof startTestApp>>;
  try {
    started = await startTestApp({ ARI_URL: sim.url, ARI_USERNAME: ARI_USER, ARI_PASSWORD, ...env }, deps);
  } catch (err) {
    await sim.close();
    throw err;
  }
  return {
    sim,
    app: started.app,
    logs: started.logs,
    media,
    async stop() {
      await started.app.stop(2000);
      await sim.close();
    },
  };
}
