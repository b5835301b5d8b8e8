import type { WebSocket } from 'ws';
import type { ApiTokenConfig } from '../config/api-tokens.js';
import type { Route } from '../config/routes.js';
import type { Logger } from '../observability/logger.js';
import { type AdapterEvent, NO_CALL_ID } from '../protocols/agent/index.js';
import { AgentSocket } from '../transports/agent-ws/agent-socket.js';
import {
  DEFAULT_AGENT_CLOSE_TIMEOUT_MS,
  DEFAULT_AGENT_MAX_BUFFERED_BYTES,
} from '../transports/agent-ws/connect-agent-socket.js';
import { AppError } from '../errors/app-error.js';
import type { InvitedAudio } from './agents/invited-agent.js';
import type { CallRegistry } from './call-registry.js';
import {
  type AgentInvitesOptions,
  type BoundInvite,
  type InviteOwner,
  InviteConnection,
  type InvitePrincipal,
} from './invite-connection.js';
import type { RouteMatcher } from './route-matcher.js';
import type { OriginateRequest, StartedOriginate } from './stasis-originate.js';
import type { CallInfo, VoiceAgent } from './voice-agent.js';

/**
 * Calls that agents place with `invite` over a socket they opened to the adapter (`/v1/agents/ws`): validation, the
 * dialable allowlists, the originate through ARI, and the answers `ringing`, `reject` (with the Q.850 cause) or the
 * hand-over of the socket to the call, whose agent it then is: the same `NativeWsAgent` and media bridge as a
 * dialled native agent, started without `incoming`/`accept`. One socket carries at most one call.
 */
export type { AgentInvitesOptions, InvitePrincipal } from './invite-connection.js';
export { inviteAllowed } from './invite-allowlist.js';

export class AgentInvites implements InviteOwner {
  readonly #o: AgentInvitesOptions;
  readonly #log: Logger;
  /** Agents of invites being dialled, by call id; the agent factory takes them when the call's media is up. */
  readonly #bound = new Map<string, BoundInvite>();
  readonly #connections = new Set<InviteConnection>();
  #closed = false;

  constructor(options: AgentInvitesOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'agent-invites' });
  }

  /** Invites being dialled now. */
  get dialling(): number {
    return this.#bound.size;
  }

  /**
   * The `/v1/agents/ws` hook: takes over an agent's socket whose first message (`message`, parsed) is an `invite`,
   * and answers every text frame from then on until the call is answered and its agent takes the socket.
   */
  readonly handler = (ws: WebSocket, message: Record<string, unknown>, principal: InvitePrincipal): void => {
    const socket = new AgentSocket<AdapterEvent>(ws, {
      callId: NO_CALL_ID,
      logger: this.#log,
      maxBufferedBytes: DEFAULT_AGENT_MAX_BUFFERED_BYTES,
      closeTimeoutMs: DEFAULT_AGENT_CLOSE_TIMEOUT_MS,
    });
    this.handle(socket, JSON.stringify(message), principal);
  };

  /** Takes over an agent socket whose first text frame (`text`) is an `invite`. */
  handle(socket: AgentSocket<AdapterEvent>, text: string, principal: InvitePrincipal): void {
    if (this.#closed) {
      void socket.close(1001, 'adapter shutting down');
      return;
    }
    const connection = new InviteConnection(this, socket, principal, this.#log);
    this.#connections.add(connection);
    connection.done.then(() => this.#connections.delete(connection));
    connection.text(text);
  }

  /** The agent of a call placed with `invite` (for the agent factory), once; undefined for every other call. */
  agentFor(call: CallInfo): VoiceAgent | undefined {
    const invite = this.#bound.get(call.callId);
    if (!invite) return undefined;
    this.#bound.delete(call.callId);
    return invite.make(call);
  }

  /** The audio the inviting agent asked for, while its call is being placed (for a media worker to run it). */
  invitedAudio(callId: string): InvitedAudio | undefined {
    return this.#bound.get(callId)?.audio;
  }

  /**
   * The inviting socket of a call placed with `invite`, handed over for its media worker (once; the agent factory
   * here will not make its agent any more). Rejects when the call has none (not invited, or its agent left).
   */
  takeSocket(callId: string): Promise<WebSocket> {
    const invite = this.#bound.get(callId);
    this.#bound.delete(callId);
    const ws = invite?.take();
    if (ws) return Promise.resolve(ws);
    return Promise.reject(
      new AppError('the agent that placed the call is gone', { code: 'AGENT_DISCONNECTED', category: 'connectivity' }),
    );
  }

  /** Cancels invites being dialled and closes sockets that carry no call yet. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#connections].map((c) => c.shutdown()));
  }

  /** @internal */
  get options(): AgentInvitesOptions {
    return this.#o;
  }

  /** @internal */
  bind(callId: string, invite: BoundInvite): void {
    this.#bound.set(callId, invite);
  }

  /** @internal Whether the agent was still waiting to be taken (and is now forgotten). */
  unbind(callId: string): boolean {
    return this.#bound.delete(callId);
  }
}

/** The invite handler of the service: API tokens' `dialable` lists, the routes, and ARI when it is configured. */
export function createAgentInvites(
  config: {
    readonly http?:
      | { readonly tokens: ReadonlyArray<Pick<ApiTokenConfig, 'name'> & { readonly dialable?: readonly string[] }> }
      | undefined;
  },
  deps: {
    readonly routes: Pick<RouteMatcher, 'byName'>;
    readonly defaultRoute: Route | undefined;
    readonly registry: Pick<CallRegistry, 'get'>;
    readonly stasis: () => { startOriginate(r: OriginateRequest): Promise<StartedOriginate> } | undefined;
    readonly logger: Logger;
  },
): AgentInvites {
  return new AgentInvites({
    originate: () => {
      const stasis = deps.stasis();
      return stasis ? (r) => stasis.startOriginate(r) : undefined;
    },
    routeByName: (name) => deps.routes.byName(name),
    defaultRoute: deps.defaultRoute,
    tokenDialable: (name) => config.http?.tokens.find((t) => t.name === name)?.dialable,
    callById: (id) => deps.registry.get(id),
    logger: deps.logger,
  });
}
