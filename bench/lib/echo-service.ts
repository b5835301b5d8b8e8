/**
 * The service in its own process with one route to a native-protocol agent started here (echo, burst, …): what the
 * full-call benchmarks and the load generator measure. Dialplan-direct AudioSocket with any UUID admitted.
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
import { startService, stopService } from './service-process.js';

export interface EchoService {
  readonly agent: NativeEchoAgent;
  readonly child: ChildProcess;
  /** AudioSocket port on 127.0.0.1. */
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts the agent, then the service routing every call to it (VAD `silero` or `off`). */
export async function startEchoService(
  agentOptions: Omit<NativeEchoAgentOptions, 'secret'>,
  vad: boolean,
): Promise<EchoService> {
  const secret = 'bench-secret-0123456789';
  const agent = await startNativeEchoAgent({ maxRecordedAudioBytes: 0, ...agentOptions, secret });
  const dir = await mkdtemp(join(tmpdir(), 'ava-bench-'));
  try {
    await writeFile(
      join(dir, 'routes.json'),
      JSON.stringify({
        routes: [{ name: 'bench', agent: { kind: 'websocket', url: agent.url, secretEnv: 'BENCH_AGENT_SECRET' } }],
      }),
    );
    const { child, port } = await startService({
      AUDIOSOCKET_HOST: '127.0.0.1',
      AUDIOSOCKET_PORT: '0',
      AUDIOSOCKET_ALLOW_ANY_UUID: 'true',
      HTTP_PORT: '0',
      ROUTES_FILE: join(dir, 'routes.json'),
      BENCH_AGENT_SECRET: secret,
      VAD: vad ? 'silero' : 'off',
      LOG_LEVEL: 'error',
    });
    return {
      agent,
      child,
      port,
      stop: async () => {
        await stopService(child);
        await agent.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await agent.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
