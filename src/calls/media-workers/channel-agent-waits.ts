import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { DialInAgentConfig } from '../../config/routes.js';
import { AppError, type ErrorCategory } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import type {
  AgentSocketMessage,
  AgentWaitFailedMessage,
  AgentWaitMessage,
} from '../../protocols/media-worker/agent-wait-messages.js';
import type { FromWorker } from '../../protocols/media-worker/messages.js';
import { adoptWebSocket } from '../../transports/media-worker/websocket-handoff.js';
import type { DialInCall, DialInClaims } from '../agents/dial-in-agent.js';
import type { CallInfo } from '../voice-agent.js';
import { type AgentWaits, callWaitAborted, type WaitingCall } from '../agents/waiting-calls.js';

interface Pending {
  readonly callId: string;
  resolve(ws: WebSocket): void;
  reject(err: AppError): void;
}

/**
 * The agents of a media worker's calls that connect in at the primary's HTTP server: a dial-in claim or a WebRTC
 * wait is a request to the primary (`agent.wait`), which waits there as in one process and answers with the agent's
 * WebSocket (`agent.socket`, the socket itself) or the error the wait ended with. The agent speaks to this process
 * from then on; its frames never pass through the primary.
 */
export class ChannelAgentWaits implements DialInClaims, AgentWaits {
  readonly #send: (message: FromWorker) => void;
  readonly #log: Logger;
  readonly #pending = new Map<number, Pending>();
  #next = 1;

  constructor(send: (message: FromWorker) => void, logger: Logger) {
    this.#send = send;
    this.#log = logger;
  }

  claim(
    call: DialInCall,
    agent: DialInAgentConfig,
    _secret: string | undefined,
    signal: AbortSignal,
  ): Promise<WebSocket> {
    // The start hook is signed in the primary with its own copy of the route's secret; none crosses the channel.
    return this.#wait(
      {
        callId: call.callId,
        kind: 'dial-in',
        call: waitingCallOf(call.routeName, call, call.direction, call.customParameters),
        dialIn: {
          kind: 'dial-in',
          dialect: agent.dialect,
          sampleRate: agent.sampleRate,
          waitMs: agent.waitMs,
          ...(agent.start ? { start: { ...agent.start } } : {}),
        },
      },
      signal,
    );
  }

  waitForAgent(call: WaitingCall, signal: AbortSignal): Promise<WebSocket> {
    return this.#wait(
      {
        callId: call.callId,
        kind: 'webrtc',
        call: waitingCallOf(call.route, call, 'inbound', {}),
      },
      signal,
    );
  }

  /** The socket of the agent that placed call `callId` with `invite`, from the primary it connected to. */
  invitedSocket(call: Pick<CallInfo, 'callId' | 'route' | 'direction'>, signal: AbortSignal): Promise<WebSocket> {
    return this.#wait(
      {
        callId: call.callId,
        kind: 'invited',
        call: { routeName: call.route.name, direction: call.direction, customParameters: {} },
      },
      signal,
    );
  }

  #wait(request: Omit<AgentWaitMessage, 'type' | 'requestId'>, signal: AbortSignal): Promise<WebSocket> {
    if (signal.aborted) return Promise.reject(callWaitAborted(signal));
    const requestId = this.#next++;
    const callId = request.callId;
    return new Promise<WebSocket>((resolve, reject) => {
      const onAbort = () => {
        this.#pending.delete(requestId);
        this.#send({ type: 'agent.waitCancel', callId, requestId });
        reject(callWaitAborted(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const settled = () => signal.removeEventListener('abort', onAbort);
      this.#pending.set(requestId, {
        callId,
        resolve: (ws) => {
          settled();
          resolve(ws);
        },
        reject: (err) => {
          settled();
          reject(err);
        },
      });
      this.#send({ type: 'agent.wait', requestId, ...request });
    });
  }

  /** The primary's answer: the agent's connection (with its socket) or why none came. */
  receive(m: AgentSocketMessage | AgentWaitFailedMessage, socket: Socket | undefined): void {
    const pending = this.#pending.get(m.requestId);
    if (!pending || pending.callId !== m.callId) {
      // The call stopped waiting meanwhile (its cancel crossed this answer): the connection has no call here.
      if (m.type === 'agent.socket') {
        this.#log.info({ callId: m.callId }, 'an agent connection came for a call that no longer waits; closed');
        if (socket) adoptWebSocket(socket, Buffer.from(m.head, 'base64')).close(1001, 'the call ended');
      }
      return;
    }
    this.#pending.delete(m.requestId);
    if (m.type === 'agent.waitFailed') {
      pending.reject(
        new AppError(m.message, {
          code: m.code,
          category: m.category as ErrorCategory,
          ...(m.retryable !== undefined ? { retryable: m.retryable } : {}),
        }),
      );
      return;
    }
    if (!socket) {
      pending.reject(
        new AppError('the agent connection came without its socket', {
          code: 'WEBSOCKET_HANDOFF_FAILED',
          category: 'server',
        }),
      );
      return;
    }
    pending.resolve(adoptWebSocket(socket, Buffer.from(m.head, 'base64')));
  }
}

/** The call as `agent.wait` describes it (what the primary's waiting calls and start hook need). */
function waitingCallOf(
  routeName: string,
  parties: { readonly caller: string | undefined; readonly callee: string | undefined },
  direction: 'inbound' | 'outbound',
  customParameters: Readonly<Record<string, string>>,
): AgentWaitMessage['call'] {
  return {
    routeName,
    ...(parties.caller !== undefined ? { caller: parties.caller } : {}),
    ...(parties.callee !== undefined ? { callee: parties.callee } : {}),
    direction,
    customParameters: { ...customParameters },
  };
}
