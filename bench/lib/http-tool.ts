/**
 * The HTTP tool of the tool-call benchmarks: on loopback, it answers every POST at once with a small JSON body
 * (`{ok: true, toolCallId}`) and records its own handling time per request (request headers parsed → response
 * ended), so that a round trip can be told apart from the tool's time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface BenchToolServer {
  readonly url: string;
  /** Handling time of each request answered so far, ms. */
  readonly handlingMs: number[];
  /** Requests that could not be answered with `ok` (a body that is not JSON). */
  readonly badRequests: number;
  close(): Promise<void>;
}

/** One answered request: its `toolCallId` and when it arrived and was answered (`performance.now()`). */
export interface ToolRequestTimes {
  readonly toolCallId: unknown;
  readonly arrivedAt: number;
  readonly answeredAt: number;
}

export async function startToolServer(
  opts: { onAnswered?: (times: ToolRequestTimes) => void } = {},
): Promise<BenchToolServer> {
  const handlingMs: number[] = [];
  let badRequests = 0;
  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let toolCallId: unknown;
      try {
        toolCallId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { toolCallId?: unknown }).toolCallId;
      } catch {
        badRequests += 1;
        res.statusCode = 400;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, toolCallId }));
      const answeredAt = performance.now();
      handlingMs.push(answeredAt - started);
      opts.onAnswered?.({ toolCallId, arrivedAt: started, answeredAt });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tool`,
    handlingMs,
    get badRequests() {
      return badRequests;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
