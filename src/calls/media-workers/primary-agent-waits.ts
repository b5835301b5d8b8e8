import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import type { AgentWaitCancelMessage, AgentWaitMessage } from '../../protocols/media-worker/agent-wait-messages.js';
import type { ToWorker } from '../../protocols/media-worker/messages.js';
import { detachWebSocket } from '../../transports/media-worker/websocket-handoff.js';
import type { DialInClaims } from '../agents/dial-in-agent.js';
import type { AgentWaits } from '../agents/waiting-calls.js';

export interface PrimaryAgentWaitsOptions {
  /** This process's dial-in claims (`localDialInClaims`: waiting calls, one-time tokens, start hook). */
  readonly dialIn: DialInClaims;
  /** Where WebRTC calls wait for /v1/agent/webrtc; absent: such waits fail with `AGENT_URL_MISSING`. */
  readonly webrtc: AgentWaits | undefined;
  /** The sockets of agents that placed calls with `invite`. */
  readonly invited?: { takeSocket(callId: string): Promise<WebSocket> } | undefined;
  /** Route secrets by route name (the start hook's signature). */
  readonly routeSecrets: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
}

/** How the answer goes to the worker that asked (false when that worker's process is gone). */
export type ReplyToWorker = (message: ToWorker, socket?: Socket) => boolean;

/**
 * The primary's side of `agent.wait`: a call on a media worker waits here for its agent, exactly as a call of this
 * process does (the same waiting calls, tokens and start hook), and the agent's WebSocket, once paired, is detached
 * at a frame boundary and sent to that worker with its socket. A wait ends when the worker cancels it (its call
 * ended), the worker exits, or the wait fails (its error goes back as `agent.waitFailed`).
 */
export class PrimaryAgentWaits {
  readonly #o: PrimaryAgentWaitsOptions;
  readonly #waits = new Map<string, { worker: number; abort: AbortController }>();

  constructor(options: PrimaryAgentWaitsOptions) {
    this.#o = options;
  }

  receive(worker: number, m: AgentWaitMessage | AgentWaitCancelMessage, reply: ReplyToWorker): void {
    const key = `${m.callId}/${m.requestId}`;
    if (m.type === 'agent.waitCancel') {
      this.#waits.get(key)?.abort.abort(new Error('the call stopped waiting for its agent'));
      this.#waits.delete(key);
      return;
    }
    const abort = new AbortController();
    this.#waits.set(key, { worker, abort });
    const log = this.#o.logger.child({ callId: m.callId, worker });
    const { callId, requestId } = m;
    this.#agentSocket(m, abort.signal, log)
      .then(async (ws) => {
        const { socket, head } = await detachWebSocket(ws).catch((err: unknown) => {
          ws.terminate();
          throw err;
        });
        if (
          abort.signal.aborted ||
          !reply({ type: 'agent.socket', callId, requestId, head: head.toString('base64') }, socket)
        ) {
          socket.destroy();
          log.warn('the agent connection could not be handed to the media worker (the call or the worker is gone)');
          return;
        }
        log.info({ kind: m.kind }, 'agent connection handed over to the call’s media worker');
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        const e =
          err instanceof AppError
            ? err
            : new AppError(err instanceof Error ? err.message : String(err), { code: 'INTERNAL', category: 'server' });
        reply({
          type: 'agent.waitFailed',
          callId,
          requestId,
          code: e.code,
          category: e.category,
          message: e.message,
          retryable: e.retryable,
        });
      })
      .finally(() => {
        if (this.#waits.get(key)?.abort === abort) this.#waits.delete(key);
      });
  }

  /** Worker `worker` exited: its calls' waits end (their calls end as `worker_failed`). */
  workerGone(worker: number): void {
    for (const [key, wait] of this.#waits)
      if (wait.worker === worker) {
        wait.abort.abort(new Error(`media worker ${worker} exited`));
        this.#waits.delete(key);
      }
  }

  #agentSocket(m: AgentWaitMessage, signal: AbortSignal, log: Logger): Promise<WebSocket> {
    const c = m.call;
    if (m.kind === 'invited') {
      const invited = this.#o.invited;
      return invited
        ? invited.takeSocket(m.callId)
        : Promise.reject(
            new AppError('no invites in this adapter', { code: 'AGENT_DISCONNECTED', category: 'connectivity' }),
          );
    }
    if (m.kind === 'dial-in') {
      if (!m.dialIn)
        return Promise.reject(
          new AppError('a dial-in wait without the agent settings', {
            code: 'INVALID_REQUEST',
            category: 'invalid_request',
          }),
        );
      return this.#o.dialIn.claim(
        {
          callId: m.callId,
          routeName: c.routeName,
          caller: c.caller,
          callee: c.callee,
          direction: c.direction,
          customParameters: c.customParameters,
        },
        m.dialIn,
        this.#o.routeSecrets[c.routeName],
        signal,
        log.child({ agent: `dial-in:${m.dialIn.dialect}` }),
      );
    }
    const webrtc = this.#o.webrtc;
    if (!webrtc)
      return Promise.reject(
        new AppError('the route has no agent url and this adapter does not serve /v1/agent/webrtc', {
          code: 'AGENT_URL_MISSING',
          category: 'configuration',
        }),
      );
    return webrtc.waitForAgent(
      { callId: m.callId, route: c.routeName, caller: c.caller, callee: c.callee, since: new Date() },
      signal,
    );
  }
}
