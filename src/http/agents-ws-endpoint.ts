import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { describeTokenRefusal, type OneTimeTokens, type TakeCriteria, type WaitingCalls } from '../calls/index.js';
import type { Logger } from '../observability/logger.js';
import {
  type AgentErrorCode,
  agentErrorEvent,
  DIALECTS,
  type Dialect,
  NO_CALL_ID,
  parseConnectInMessage,
} from '../protocols/agent/index.js';
import { bearerTokenOf, PendingAgentSockets, refuseUpgrade, takeWaitingCall } from './agent-connections.js';
import type { Principal } from './token-auth.js';

/** Where agents connect in: to claim waiting calls of dial-in routes, or to `invite` (place) calls. */
export const AGENTS_WS_PATH = '/v1/agents/ws';

/** Who an agent-scope bearer token belongs to (the token's name and scope from API_TOKENS). */
export type AgentPrincipal = Principal;

/**
 * Takes over a native connection whose first message was `{"command":"invite", …}`: from then on the socket is the
 * handler's (it answers with `error` events or places the call). `message` is the parsed first message.
 */
export type InviteHandler = (socket: WebSocket, message: Record<string, unknown>, principal: AgentPrincipal) => void;

export interface AgentsWsEndpointOptions {
  /** Calls of `dial-in` routes waiting to be claimed. */
  readonly waitingCalls: WaitingCalls;
  /** One-time tokens of calls whose start hook asked a bot to connect (`?token=`). */
  readonly tokens: OneTimeTokens;
  /** Resolves a bearer token to its principal (any scope; the endpoint admits `agent` only). */
  readonly authenticate: (token: string) => Principal | undefined;
  /** Handles `invite`; without it an `invite` gets `error` `unsupported_command` and the connection is closed. */
  readonly onInvite?: InviteHandler | undefined;
  readonly path?: string;
  /** A waiting connection is pinged this often so proxies keep it open. Default 25 s. */
  readonly keepAliveMs?: number;
  /** A native connection that names no call or route must send its first message within this time. Default 10 s. */
  readonly firstMessageTimeoutMs?: number;
  readonly maxPayloadBytes?: number;
  readonly logger: Logger;
}

export interface AgentsWsEndpoint {
  /** For the server's `upgrade` event; returns false (and does nothing) for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Connections waiting for a call or for their first message now. */
  readonly waitingConnections: number;
  /** Closes waiting connections (1001) and stops accepting; connections that have a call are the call's. Idempotent. */
  close(): Promise<void>;
}

/** What an admitted connection asked for, decided from its URL before the upgrade. */
type Admission =
  | {
      readonly kind: 'claim';
      readonly criteria: TakeCriteria;
      readonly dialect: Dialect;
      readonly via: 'token' | 'bearer';
    }
  | { readonly kind: 'first-message'; readonly principal: AgentPrincipal };

/** Close code for a bad first message (the `error` event before it says what was wrong). */
const BAD_REQUEST_CLOSE = 4400;

/**
 * The inbound agent endpoint (docs/agent-protocol.md, "Agents that dial in"). Authentication happens on the
 * upgrade, before any WebSocket exists, and failures are HTTP answers: 401 without a token or with an unknown, used
 * or expired one, 403 for a bearer token without the `agent` scope or a one-time token of another call, 400 for a
 * bad `dialect`, 503 while shutting down.
 *
 * Then, by what the URL says:
 * - `?token=<one-time token>`: the token's call, in the route's dialect;
 * - bearer token and `?callId=` or `?route=` (`&dialect=native|pipecat`, default native): that waiting call, or the
 *   next waiting call of the route that speaks the dialect;
 * - bearer token and neither: a native client sends a first JSON message, `{"command":"claim","callId"|"route"}`
 *   or `{"command":"invite",…}` (to the invite handler). Anything else gets an `error` event and close 4400.
 * A claimed connection speaks the call's dialect from then on. A claim of a call that is not waiting is closed
 * with 4404 (native clients get an `error` event first), a full queue with 4429.
 */
export function createAgentsWsEndpoint(options: AgentsWsEndpointOptions): AgentsWsEndpoint {
  const path = options.path ?? AGENTS_WS_PATH;
  const log = options.logger.child({ component: 'agents-ws-endpoint' });
  const keepAliveMs = options.keepAliveMs ?? 25_000;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: options.maxPayloadBytes ?? 1024 * 1024,
  });
  const pending = new PendingAgentSockets();

  /** Decides from the URL and credentials; refuses with an HTTP status or returns what the connection wants. */
  function decide(req: IncomingMessage, url: URL): Admission | { status: number; reason: string; text: string } {
    if (pending.closed) return { status: 503, reason: 'Service Unavailable', text: 'the adapter is shutting down' };
    const q = url.searchParams;
    const callId = q.get('callId') ?? undefined;
    const route = q.get('route') ?? undefined;
    const oneTime = q.get('token');
    if (oneTime !== null) {
      const r = options.tokens.redeem(oneTime, callId);
      if (!r.ok) {
        const status = r.reason === 'wrong_call' ? 403 : 401;
        return { status, reason: status === 403 ? 'Forbidden' : 'Unauthorized', text: describeTokenRefusal(r.reason) };
      }
      return {
        kind: 'claim',
        criteria: { callId: r.binding.callId },
        dialect: r.binding.dialect as Dialect,
        via: 'token',
      };
    }
    const bearer = bearerTokenOf(req, url);
    const principal = bearer ? options.authenticate(bearer) : undefined;
    if (!principal)
      return {
        status: 401,
        reason: 'Unauthorized',
        text: bearer ? 'unknown bearer token' : 'missing token: a bearer token of scope agent, or ?token=',
      };
    if (principal.scope !== 'agent')
      return { status: 403, reason: 'Forbidden', text: `this token's scope is ${principal.scope}; agent is needed` };
    const dialectParam = q.get('dialect') ?? 'native';
    if (!(DIALECTS as readonly string[]).includes(dialectParam))
      return { status: 400, reason: 'Bad Request', text: `dialect must be one of ${DIALECTS.join(', ')}` };
    const dialect = dialectParam as Dialect;
    if (callId !== undefined || route !== undefined) {
      return {
        kind: 'claim',
        criteria: { ...(callId !== undefined ? { callId } : {}), ...(route !== undefined ? { route } : {}), dialect },
        dialect,
        via: 'bearer',
      };
    }
    if (dialect !== 'native')
      return {
        status: 400,
        reason: 'Bad Request',
        text: `a ${dialect} connection names its call in the URL: ?route= or ?callId=`,
      };
    return { kind: 'first-message', principal };
  }

  /** An `error` event for a connection that has no call yet, then the close. */
  function refuseOnSocket(ws: WebSocket, code: AgentErrorCode, message: string, command?: string): void {
    ws.send(JSON.stringify(agentErrorEvent(NO_CALL_ID, Date.now(), code, message, command ? { command } : {})));
    ws.close(BAD_REQUEST_CLOSE, code);
  }

  function claim(ws: WebSocket, criteria: TakeCriteria, dialect: Dialect): void {
    void takeWaitingCall(ws, criteria, {
      waitingCalls: options.waitingCalls,
      pending,
      keepAliveMs,
      logger: log,
      onRefused: (code, message) => {
        if (dialect === 'native')
          ws.send(JSON.stringify(agentErrorEvent(NO_CALL_ID, Date.now(), 'claim_failed', `${code}: ${message}`)));
      },
    });
  }

  function awaitFirstMessage(ws: WebSocket, principal: AgentPrincipal): void {
    pending.add(ws);
    const timer = setTimeout(
      () => refuseOnSocket(ws, 'invalid_state', 'no first message: send "claim" or "invite"'),
      options.firstMessageTimeoutMs ?? 10_000,
    );
    const done = (): void => {
      clearTimeout(timer);
      pending.delete(ws);
      ws.off('message', onMessage);
      ws.off('close', done);
    };
    const onMessage = (data: RawData, isBinary: boolean): void => {
      done();
      if (isBinary) {
        refuseOnSocket(ws, 'invalid_state', 'audio before a call: the first message must be "claim" or "invite"');
        return;
      }
      const request = parseConnectInMessage(data.toString());
      switch (request.kind) {
        case 'refused':
          log.info({ token: principal.name, code: request.code }, 'agent first message refused');
          refuseOnSocket(ws, request.code, request.message, request.command);
          return;
        case 'claim':
          claim(
            ws,
            {
              ...(request.callId !== undefined ? { callId: request.callId } : {}),
              ...(request.route !== undefined ? { route: request.route } : {}),
              dialect: 'native',
            },
            'native',
          );
          return;
        case 'invite':
          if (!options.onInvite) {
            refuseOnSocket(ws, 'unsupported_command', 'this adapter does not place calls for agents', 'invite');
            return;
          }
          log.info({ token: principal.name }, 'agent invite');
          options.onInvite(ws, request.message, principal);
          return;
      }
    };
    ws.on('message', onMessage);
    ws.on('close', done);
  }

  function admit(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const decision = decide(req, url);
    if ('status' in decision) {
      log.info({ status: decision.status, why: decision.text }, 'agent connection refused');
      refuseUpgrade(socket, decision.status, decision.reason, decision.text);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (decision.kind === 'claim') {
        log.info({ criteria: decision.criteria, via: decision.via }, 'agent connected to claim a call');
        claim(ws, decision.criteria, decision.dialect);
      } else awaitFirstMessage(ws, decision.principal);
    });
  }

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://adapter.invalid');
      if (url.pathname !== path) return false;
      socket.on('error', () => socket.destroy());
      try {
        admit(req, socket, head, url);
      } catch (err) {
        log.warn({ err }, 'agent upgrade failed');
        socket.destroy();
      }
      return true;
    },
    get waitingConnections() {
      return pending.size;
    },
    close() {
      return pending.close(wss);
    },
  };
}
