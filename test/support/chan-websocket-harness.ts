import type { App, AppDeps } from '../../src/app.js';
import type { ChanWebSocketServerOptions } from '../../src/simulator/ari/chan-websocket-server.js';
import type { SimChanWebSocket } from '../../src/simulator/ari/sim-chan-websocket.js';
import { type SimulatedAsterisk, startSimulatedAsterisk } from '../../src/simulator/ari/simulated-asterisk.js';
import { type LogCapture, startTestApp } from './app-harness.js';
import { ARI_PASSWORD, ARI_USER } from './ari-harness.js';

export interface ChanWebSocketHarness {
  sim: SimulatedAsterisk;
  app: App;
  logs: LogCapture;
  /** chan_websocket media connections the simulated Asterisk accepted, in order. */
  media: SimChanWebSocket[];
  stop(): Promise<void>;
}

/** A simulated Asterisk with chan_websocket and the real service connected to it on loopback. */
export async function startChanWebSocketHarness(
  env: Record<string, string> = {},
  deps: AppDeps & { routesJson?: unknown } = {},
  sim: {
    chanWebSocket?: ChanWebSocketServerOptions;
    version?: string;
    modules?: readonly string[];
    mediaStasisDelayMs?: number;
  } = {},
): Promise<ChanWebSocketHarness> {
  const media: SimChanWebSocket[] = [];
  const asterisk = await startSimulatedAsterisk({
    username: ARI_USER,
    password: ARI_PASSWORD,
    chanWebSocket: { ...sim.chanWebSocket, onConnection: (c) => media.push(c) },
    ...(sim.version ? { version: sim.version } : {}),
    ...(sim.modules ? { modules: sim.modules } : {}),
    ...(sim.mediaStasisDelayMs !== undefined ? { mediaStasisDelayMs: sim.mediaStasisDelayMs } : {}),
  });
  let started: Awaited<ReturnType<typeof startTestApp>>;
  try {
    started = await startTestApp({ ARI_URL: asterisk.url, ARI_USERNAME: ARI_USER, ARI_PASSWORD, ...env }, deps);
  } catch (err) {
    await asterisk.close();
    throw err;
  }
  return {
    sim: asterisk,
    app: started.app,
    logs: started.logs,
    media,
    async stop() {
      await started.app.stop(2000);
      await asterisk.close();
    },
  };
}

/** A routes file with one route on the chan_websocket media path. */
export function websocketRoutes(agent: unknown, extra: Record<string, unknown> = {}): unknown {
  return { routes: [{ name: 'ws', media: 'websocket', agent, ...extra }] };
}
