import type { WebSocket } from 'ws';
import { AppError } from '../../errors/app-error.js';

/** A call waiting for an agent to connect and take it. */
export interface WaitingCall {
  readonly callId: string;
  readonly route: string;
  readonly caller: string | undefined;
  readonly callee: string | undefined;
  readonly since: Date;
  /** What the call side speaks on the handed socket (dial-in routes: `native` or `pipecat`); absent for WebRTC. */
  readonly dialect?: string;
}

/**
 * Which waiting call an agent connection wants: a given call, the oldest on a route, or the oldest of all; with
 * `dialect`, only calls that speak it.
 */
export interface TakeCriteria {
  readonly callId?: string;
  readonly route?: string;
  readonly dialect?: string;
}

/**
 * The call side of waiting for an agent: `WaitingCalls` in the process with the HTTP server; on a media worker, a
 * request to the primary, which waits there and hands the agent's connection over.
 */
export type AgentWaits = Pick<WaitingCalls, 'waitForAgent'>;

export interface WaitingCallsOptions {
  /** Agent connections waiting for a call at once; more are refused. Default 100. */
  readonly maxWaitingAgents?: number;
  /** Calls waiting for an agent at once; more are refused (they get their fallback). Default 1000. */
  readonly maxWaitingCalls?: number;
}

interface CallEntry {
  readonly call: WaitingCall;
  readonly hand: (socket: WebSocket) => void;
}

interface AgentEntry {
  readonly criteria: TakeCriteria;
  readonly socket: WebSocket;
  readonly hand: (call: WaitingCall) => void;
}

/**
 * Meets calls that wait for an agent with agent connections that come to take one: WebRTC routes without a `url`
 * (taken at `/v1/agent/webrtc`) and `dial-in` routes (claimed at `/v1/agents/ws`), one instance per endpoint. Whichever arrives second completes the pair at once; both sides wait in arrival order, both
 * queues are bounded, and both waits end with their AbortSignal. The connection handed over is the agent's
 * WebSocket, already authenticated by the endpoint; the call side speaks the agent protocol on it from then on.
 */
export class WaitingCalls {
  readonly #calls: CallEntry[] = [];
  readonly #agents: AgentEntry[] = [];
  readonly #maxAgents: number;
  readonly #maxCalls: number;

  constructor(options: WaitingCallsOptions = {}) {
    this.#maxAgents = options.maxWaitingAgents ?? 100;
    this.#maxCalls = options.maxWaitingCalls ?? 1000;
  }

  /** Calls waiting now, oldest first. */
  list(): WaitingCall[] {
    return this.#calls.map((e) => e.call);
  }

  get waitingAgents(): number {
    return this.#agents.length;
  }

  /** Call side: resolves with the socket of the agent that takes the call. */
  waitForAgent(call: WaitingCall, signal: AbortSignal): Promise<WebSocket> {
    if (signal.aborted) return Promise.reject(abortedError('call', signal));
    const i = this.#agents.findIndex((a) => matches(a.criteria, call));
    if (i >= 0) {
      const [agent] = this.#agents.splice(i, 1);
      agent!.hand(call);
      return Promise.resolve(agent!.socket);
    }
    if (this.#calls.length >= this.#maxCalls) {
      return Promise.reject(
        new AppError(`${this.#maxCalls} calls are already waiting for an agent`, {
          code: 'AGENT_QUEUE_FULL',
          category: 'rate_limit',
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const entry: CallEntry = {
        call,
        hand: (socket) => {
          signal.removeEventListener('abort', onAbort);
          resolve(socket);
        },
      };
      const onAbort = (): void => {
        remove(this.#calls, entry);
        reject(abortedError('call', signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#calls.push(entry);
    });
  }

  /** Agent side: hands `socket` to the oldest matching waiting call, or waits for one; resolves with that call. */
  take(socket: WebSocket, criteria: TakeCriteria, signal: AbortSignal): Promise<WaitingCall> {
    if (signal.aborted) return Promise.reject(abortedError('agent', signal));
    const i = this.#calls.findIndex((c) => matches(criteria, c.call));
    if (i >= 0) {
      const [entry] = this.#calls.splice(i, 1);
      entry!.hand(socket);
      return Promise.resolve(entry!.call);
    }
    if (criteria.callId !== undefined) {
      return Promise.reject(
        new AppError(`no call ${criteria.callId} is waiting for an agent`, {
          code: 'WAITING_CALL_NOT_FOUND',
          category: 'not_found',
        }),
      );
    }
    if (this.#agents.length >= this.#maxAgents) {
      return Promise.reject(
        new AppError(`${this.#maxAgents} agents are already waiting for a call`, {
          code: 'AGENT_QUEUE_FULL',
          category: 'rate_limit',
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const entry: AgentEntry = {
        criteria,
        socket,
        hand: (call) => {
          signal.removeEventListener('abort', onAbort);
          resolve(call);
        },
      };
      const onAbort = (): void => {
        remove(this.#agents, entry);
        reject(abortedError('agent', signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#agents.push(entry);
    });
  }
}

function matches(criteria: TakeCriteria, call: WaitingCall): boolean {
  return (
    (criteria.callId === undefined || criteria.callId === call.callId) &&
    (criteria.route === undefined || criteria.route === call.route) &&
    (criteria.dialect === undefined || criteria.dialect === call.dialect)
  );
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

/** The error a call's wait for its agent ends with when its signal aborts (as `waitForAgent` rejects). */
export function callWaitAborted(signal: AbortSignal): AppError {
  return abortedError('call', signal);
}

function abortedError(side: 'call' | 'agent', signal: AbortSignal): AppError {
  return new AppError(side === 'call' ? 'no agent took the call in time' : 'stopped waiting for a call', {
    code: side === 'call' ? 'AGENT_CONNECT_TIMEOUT' : 'AGENT_WAIT_ABORTED',
    category: 'timeout',
    retryable: side === 'call',
    cause: signal.reason,
  });
}
