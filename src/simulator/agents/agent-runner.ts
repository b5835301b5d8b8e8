import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConditionWaiters } from './condition-waiters.js';

/** A start request as the runner received it: raw body (for signature checks), headers and parsed JSON. */
export interface AgentStartRecord {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: Record<string, unknown> | undefined;
}

export interface AgentRunnerOptions {
  /** HTTP status of every answer. Default 200. */
  readonly status?: number;
  /** Called for each start request after it was answered, e.g. to connect a bot to its `connectUrl`. */
  readonly onStart?: (record: AgentStartRecord) => void | Promise<void>;
  /** Hold each answer this long (to exercise the adapter's start timeout). Default 0. */
  readonly delayMs?: number;
}

export interface AgentRunner {
  /** `http://127.0.0.1:port/start`, for a route's `agent.start.url`. */
  readonly url: string;
  readonly requests: readonly AgentStartRecord[];
  waitForRequest(index?: number, timeoutMs?: number): Promise<AgentStartRecord>;
  close(): Promise<void>;
}

/**
 * A stand-in for the service that starts a bot per call (a Pipecat "runner"): it takes the adapter's agent start
 * hook POST, records it, answers, and hands it to `onStart`, which typically connects a bot to the `connectUrl`.
 */
export async function startAgentRunner(options: AgentRunnerOptions = {}): Promise<AgentRunner> {
  const requests: AgentStartRecord[] = [];
  const waiters = new ConditionWaiters();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      const record: AgentStartRecord = { headers: req.headers, body, json };
      requests.push(record);
      waiters.notify();
      setTimeout(() => {
        res.writeHead(options.status ?? 200, { 'content-type': 'application/json' }).end('{}');
        void Promise.resolve(options.onStart?.(record)).catch(() => undefined);
      }, options.delayMs ?? 0);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/start`,
    requests,
    waitForRequest: (index = 0, timeoutMs?: number) =>
      waiters.until(() => requests[index], `start request #${index}`, timeoutMs),
    close: async () => {
      waiters.close('runner closed');
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
