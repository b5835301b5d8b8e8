/**
 * The service in its own process with one route to an agent started here: a native-protocol agent (echo, burst, …,
 * what the full-call benchmarks and the load generator measure), or anything else given as a route (the load
 * generator's Realtime simulator). Dialplan-direct AudioSocket with any UUID admitted; `env` adds settings (ARI).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type NativeEchoAgent,
  type NativeEchoAgentOptions,
  startNativeEchoAgent,
} from '../../src/simulator/agents/native-echo-agent.js';
import { freePort } from '../../test/support/net.js';
import { startService, stopService } from './service-process.js';

/** The service process started with a routes file of its own. */
export interface BenchService {
  readonly child: ChildProcess;
  /** AudioSocket port on 127.0.0.1. */
  readonly port: number;
  /** HTTP port on 127.0.0.1 (health, /metrics). */
  readonly httpPort: number;
  /** PIDs of its media workers at start (none with MEDIA_WORKERS=0). */
  readonly workerPids: readonly number[];
  stop(): Promise<void>;
}

/** Where the service comes from and what it gets on top of the bench's own settings. */
export interface ServiceSetup {
  /** Extra environment (ARI settings, knobs under test); applied last. */
  readonly env?: Record<string, string>;
  /** The checkout whose service runs (default: this one); see `serviceEntry`. */
  readonly root?: string;
}

export interface EchoService extends BenchService {
  readonly agent: NativeEchoAgent;
}

/**
 * Starts the service with these routes (VAD `silero` or `off`; `setup.env` on top, from `setup.root`); `stop` also
 * removes the routes file. Its HTTP server gets a free port (read back as `httpPort`).
 */
export async function startRoutedService(
  routes: readonly unknown[],
  vad: boolean,
  setup: ServiceSetup = {},
): Promise<BenchService> {
  const dir = await mkdtemp(join(tmpdir(), 'ava-bench-'));
  try {
    await writeFile(join(dir, 'routes.json'), JSON.stringify({ routes }));
    const httpPort = await freePort();
    const { child, port, workerPids } = await startService(
      {
        AUDIOSOCKET_HOST: '127.0.0.1',
        AUDIOSOCKET_PORT: '0',
        AUDIOSOCKET_ALLOW_ANY_UUID: 'true',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        ROUTES_FILE: join(dir, 'routes.json'),
        VAD: vad ? 'silero' : 'off',
        LOG_LEVEL: 'error',
        ...setup.env,
      },
      setup.root,
    );
    return {
      child,
      port,
      httpPort,
      workerPids,
      stop: async () => {
        await stopService(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Starts `agent`, then `start(agent)`; closes the agent when that fails, and with the service's `stop`. */
export async function withAgent<T extends { close(): Promise<unknown> }>(
  agent: T,
  start: (agent: T) => Promise<BenchService>,
): Promise<BenchService & { readonly agent: T }> {
  let service: BenchService;
  try {
    service = await start(agent);
  } catch (err) {
    await agent.close();
    throw err;
  }
  return {
    agent,
    child: service.child,
    port: service.port,
    httpPort: service.httpPort,
    workerPids: service.workerPids,
    stop: async () => {
      await service.stop();
      await agent.close();
    },
  };
}

/** Starts the agent, then the service routing every call to it (VAD `silero` or `off`). */
export async function startEchoService(
  agentOptions: Omit<NativeEchoAgentOptions, 'secret'>,
  vad: boolean,
  setup: ServiceSetup = {},
): Promise<EchoService> {
  const secret = 'bench-secret-0123456789';
  const agent = await startNativeEchoAgent({ maxRecordedAudioBytes: 0, ...agentOptions, secret });
  return withAgent(agent, (a) =>
    startRoutedService(
      [{ name: 'bench', agent: { kind: 'websocket', url: a.url, secretEnv: 'BENCH_AGENT_SECRET' } }],
      vad,
      { ...setup, env: { BENCH_AGENT_SECRET: secret, ...setup.env } },
    ),
  );
}
