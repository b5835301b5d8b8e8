import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { AgentHandshake } from './agent-server.js';
import { type NativeEchoAgentOptions, NativeAgentSession } from './native-echo-agent.js';

/** How an agent connects in at the adapter's /v1/agents/ws. */
export interface DialInTarget {
  /** The full URL, query included (e.g. a start hook's `connectUrl`, or `ws://…/v1/agents/ws?route=sales`). */
  readonly url: string;
  /** Sent as `Authorization: Bearer …` (an `agent`-scope API token). */
  readonly bearer?: string;
  readonly timeoutMs?: number;
}

/** The upgrade's outcome: what `attach` made of the open socket, or the HTTP status and text of a refusal. */
export type DialInOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: number; readonly body: string };

/**
 * Opens a WebSocket to the adapter as an agent that dials in. `attach` runs as soon as it is open, before any
 * message is delivered (the adapter may send at once), and typically builds the agent's session on it. A refused
 * upgrade resolves with its HTTP answer.
 */
export function openDialInSocket<T>(
  target: DialInTarget,
  attach: (ws: WebSocket, handshake: AgentHandshake) => T,
): Promise<DialInOutcome<T>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target.url, {
      perMessageDeflate: false,
      handshakeTimeout: target.timeoutMs ?? 5000,
      ...(target.bearer ? { headers: { authorization: `Bearer ${target.bearer}` } } : {}),
    });
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ ok: false, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    ws.once('open', () =>
      resolve({ ok: true, value: attach(ws, { url: target.url, headers: {}, verified: false, callId: undefined }) }),
    );
    ws.once('error', (err) => reject(err));
  });
}

/**
 * The example native agent (see `NativeEchoAgentOptions`) as a client: it dials in, sends `firstMessage` when given
 * (e.g. `{"command":"claim","route":"sales"}`), and then serves the call it is handed like a dialled one.
 */
export async function dialInNativeAgent(
  target: DialInTarget & { readonly firstMessage?: unknown },
  options: NativeEchoAgentOptions,
): Promise<NativeAgentSession> {
  const outcome = await openDialInSocket(target, (ws, handshake) => {
    const session = new NativeAgentSession(ws, handshake, options);
    const first = target.firstMessage;
    if (first !== undefined) ws.send(typeof first === 'string' ? first : JSON.stringify(first));
    return session;
  });
  if (!outcome.ok) throw new Error(`the adapter refused the agent: HTTP ${outcome.status} ${outcome.body.trim()}`);
  return outcome.value;
}
