import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { onceAsync } from '../../lib/once.js';
import {
  DEFAULT_SIGNATURE_TOLERANCE_SEC,
  type VerifyAgentRequestFailure,
  verifyAgentRequest,
} from '../../protocols/agent/signing.js';

/** What the server knew about an accepted upgrade request. */
export interface AgentHandshake {
  /** The full URL as the agent sees it (`ws://host/path?query`). */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** True when a secret was configured and the signature matched; false when no secret was configured. */
  readonly verified: boolean;
  /** `X-Ava-Call-Id`, when sent. */
  readonly callId: string | undefined;
}

export interface RejectedHandshake {
  readonly url: string;
  readonly reason: VerifyAgentRequestFailure;
}

export interface AgentServerOptions {
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** When set, upgrades must carry a valid `X-Ava-Signature`; others get HTTP 401. */
  readonly secret?: string | readonly string[];
  readonly toleranceSec?: number;
  readonly onConnection: (ws: WebSocket, handshake: AgentHandshake) => void;
  readonly onRejected?: (rejected: RejectedHandshake) => void;
}

export interface AgentServer {
  /** `ws://host:port/` to put in a route. */
  readonly url: string;
  readonly port: number;
  readonly rejectedHandshakes: readonly RejectedHandshake[];
  /** Closes every connection (1001) and stops listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * The WebSocket server under the example agents: HTTP upgrade with the adapter's request signature checked
 * before the WebSocket exists, so a bad signature is a real `401 Unauthorized` answer to the upgrade.
 */
export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const host = options.host ?? '127.0.0.1';
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n');
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const rejected: RejectedHandshake[] = [];
  const sockets = new Set<WebSocket>();

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = `ws://${req.headers.host ?? `${host}`}${req.url ?? '/'}`;
    let verified = false;
    if (options.secret !== undefined) {
      const result = verifyAgentRequest(
        options.secret,
        url,
        req.headers,
        options.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC,
      );
      if (!result.ok) {
        const entry = { url, reason: result.reason };
        rejected.push(entry);
        options.onRejected?.(entry);
        socket.end(
          `HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${
            result.reason.length + 1
          }\r\n\r\n${result.reason}\n`,
        );
        return;
      }
      verified = true;
    }
    const callIdHeader = req.headers['x-ava-call-id'];
    const callId = typeof callIdHeader === 'string' ? callIdHeader : undefined;
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => ws.terminate());
      options.onConnection(ws, { url, headers: req.headers, verified, callId });
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;

  const close = onceAsync(async () => {
    const closing = [...sockets].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          const timer = setTimeout(() => ws.terminate(), 1000);
          ws.once('close', () => clearTimeout(timer));
          ws.close(1001, 'agent shutting down');
        }),
    );
    await Promise.all(closing);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  });

  return {
    url: `ws://${host}:${port}/`,
    port,
    get rejectedHandshakes() {
      return rejected;
    },
    close,
  };
}
