import { randomUUID } from 'node:crypto';
import { compileDialable } from '../config/dialable.js';
import type { Route } from '../config/routes.js';
import { isAppError } from '../errors/app-error.js';
import type { Logger } from '../observability/logger.js';
import {
  type AdapterEvent,
  type AgentErrorCode,
  agentErrorEvent,
  type InviteCommand,
  type InviteRejectReason,
  parseAgentMessage,
} from '../protocols/agent/index.js';
import type { AgentSocket } from '../transports/agent-ws/agent-socket.js';
import { NativeWsAgent } from './agents/native-ws-agent.js';
import type { CallSession } from './call-session.js';
import type { OriginateRequest, StartedOriginate } from './stasis-originate.js';
import type { CallInfo, VoiceAgent } from './voice-agent.js';

/** Who connected the socket: the name of its API token. */
export interface InvitePrincipal {
  readonly name: string;
}

export interface AgentInvitesOptions {
  /** Places an outbound call through ARI (the Stasis controller's `startOriginate`); undefined without ARI. */
  readonly originate: ((request: OriginateRequest) => Promise<StartedOriginate>) | undefined;
  readonly routeByName: (name: string) => Route | undefined;
  /** Route of invites that name none. */
  readonly defaultRoute: Route | undefined;
  /** The `dialable` patterns of an API token, by its name (undefined: the token names none). */
  readonly tokenDialable: (tokenName: string) => readonly string[] | undefined;
  /** The live call with this id (to follow an answered invite until its agent takes over). */
  readonly callById: (callId: string) => CallSession | undefined;
  readonly logger: Logger;
}

/** The `callId` of events sent before the socket has a call. */
const NO_CALL_ID = 'none';

/** Sample rate of an invited agent's audio when the invite does not name one (as for dialled native agents). */
const DEFAULT_INVITE_SAMPLE_RATE = 16000;

/**
 * Whether `endpoint` may be dialled: at least one allowlist (the token's `dialable`, the route's `dialable`) must
 * exist, and every one that exists must match. No list anywhere means no invites (the safe default).
 */
export function inviteAllowed(
  endpoint: string,
  lists: { readonly token: readonly string[] | undefined; readonly route: readonly string[] | undefined },
): { ok: true } | { ok: false; why: string } {
  if (lists.token === undefined && lists.route === undefined)
    return { ok: false, why: 'neither the token nor the route has a dialable list (invites are off by default)' };
  if (lists.token !== undefined && !compileDialable(lists.token)(endpoint))
    return { ok: false, why: `${endpoint} is not in the token's dialable list` };
  if (lists.route !== undefined && !compileDialable(lists.route)(endpoint))
    return { ok: false, why: `${endpoint} is not in the route's dialable list` };
  return { ok: true };
}

/**
 * Calls that agents place with `invite` over a socket they opened to the adapter (`/v1/agents/ws`): validation, the
 * dialable allowlists, the originate through ARI, and the answers `ringing`, `reject` (with the Q.850 cause) or the
 * hand-over of the socket to the call, whose agent it then is: the same `NativeWsAgent` and media bridge as a
 * dialled native agent, started without `incoming`/`accept`. One socket carries at most one call.
 */
export class AgentInvites {
  readonly #o: AgentInvitesOptions;
  readonly #log: Logger;
  /** Agents of invites being dialled, by call id; the agent factory takes them when the call's media is up. */
  readonly #bound = new Map<string, (call: CallInfo) => VoiceAgent>();
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
   * Takes over an agent's socket whose first text frame (`text`) is an `invite`, and answers every text frame from
   * then on until the call is answered and its agent takes the socket.
   */
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
    const make = this.#bound.get(call.callId);
    if (!make) return undefined;
    this.#bound.delete(call.callId);
    return make(call);
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
  bind(callId: string, make: (call: CallInfo) => VoiceAgent): void {
    this.#bound.set(callId, make);
  }

  /** @internal Whether the agent was still waiting to be taken (and is now forgotten). */
  unbind(callId: string): boolean {
    return this.#bound.delete(callId);
  }
}

type State = 'idle' | 'dialling' | 'answered' | 'handed-over' | 'closed';

/** One agent socket from its first `invite` until its call's agent takes it (or it closes). */
class InviteConnection {
  readonly #owner: AgentInvites;
  readonly #socket: AgentSocket<AdapterEvent>;
  readonly #principal: InvitePrincipal;
  #log: Logger;
  #state: State = 'idle';
  /** Id of the call this socket places next (or is placing). */
  #callId = randomUUID();
  #startedAt = Date.now();
  #originate: StartedOriginate | undefined;
  #resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });
  readonly #onText = (text: string) => this.text(text);
  readonly #onBinary = () => {
    // Audio before the call is answered has no one to hear it.
  };
  readonly #onClose = () => this.#socketClosed();

  constructor(owner: AgentInvites, socket: AgentSocket<AdapterEvent>, principal: InvitePrincipal, log: Logger) {
    this.#owner = owner;
    this.#socket = socket;
    this.#principal = principal;
    this.#log = log.child({ principal: principal.name });
    socket.on('text', this.#onText);
    socket.on('binary', this.#onBinary);
    socket.on('close', this.#onClose);
    if (!socket.isOpen) queueMicrotask(() => this.#socketClosed());
  }

  text(text: string): void {
    if (this.#state === 'handed-over' || this.#state === 'closed') return;
    const parsed = parseAgentMessage(text);
    if (!parsed.ok) {
      this.#log.warn({ callId: this.#callId, code: parsed.error.code, detail: parsed.error.message }, 'bad message');
      this.#error(parsed.error.code, parsed.error.message, parsed.error.command);
      return;
    }
    const cmd = parsed.command;
    if (cmd.command === 'invite') {
      if (this.#state !== 'idle') {
        this.#error('invalid_state', `this socket already places call ${this.#callId}; one call per socket`, 'invite');
        return;
      }
      void this.#invite(cmd);
      return;
    }
    if (cmd.command === 'hangup' && (this.#state === 'dialling' || this.#state === 'answered')) {
      void this.#hangUp();
      return;
    }
    const name = cmd.command === 'unsupported' ? cmd.name : cmd.command;
    this.#error('invalid_state', `${name} needs an answered call; send invite first and wait for answer`, name);
  }

  /** Shutdown: cancel a dial in progress; close a socket that carries no call. */
  async shutdown(): Promise<void> {
    if (this.#state === 'dialling') await this.#originate?.cancel();
    if (this.#state === 'idle') await this.#finish(1001, 'adapter shutting down');
  }

  async #invite(cmd: InviteCommand): Promise<void> {
    const o = this.#owner.options;
    const callId = this.#callId;
    const log = this.#log.child({ callId });
    const route = cmd.route !== undefined ? o.routeByName(cmd.route) : o.defaultRoute;
    if (!route) {
      const why = cmd.route !== undefined ? `route: no route named ${cmd.route}` : 'route: none given and no default';
      this.#error('invalid_command', `invite: ${why}`, 'invite');
      return;
    }
    const allowed = inviteAllowed(cmd.callee, { token: o.tokenDialable(this.#principal.name), route: route.dialable });
    if (!allowed.ok) {
      log.warn({ callee: cmd.callee, route: route.name, why: allowed.why }, 'invite refused: destination not allowed');
      this.#error('destination_not_allowed', `invite: callee: ${allowed.why}`, 'invite');
      return;
    }
    if (!o.originate) {
      this.#error('invite_unavailable', 'invite needs ARI (the adapter has no ARI_URL)', 'invite');
      return;
    }
    this.#state = 'dialling';
    this.#startedAt = Date.now();
    const sampleRate = cmd.audio?.sampleRate ?? DEFAULT_INVITE_SAMPLE_RATE;
    const frameMs = cmd.audio?.frameMs ?? 20;
    this.#owner.bind(callId, (call) => {
      this.#handOver();
      return new NativeWsAgent({
        url: '',
        secret: undefined,
        sampleRate,
        reconnect: { initialDelayMs: 0, maxDelayMs: 0, multiplier: 1, jitter: 0, maxAttempts: 1 },
        logger: log.child({ agent: 'websocket', invited: true, route: call.route.name }),
        invited: { socket: this.#socket, frameMs },
      });
    });
    log.info({ callee: cmd.callee, route: route.name }, 'agent invite: dialling');
    let started: StartedOriginate;
    try {
      started = await o.originate({
        callId,
        endpoint: cmd.callee,
        route,
        callerId: cmd.callerId,
        timeoutSec: cmd.timeout,
        customParameters: { ...cmd.customParameters, invitedBy: this.#principal.name },
      });
    } catch (err) {
      this.#owner.unbind(callId);
      log.warn({ err }, 'agent invite: Asterisk refused the originate');
      this.#notAnswered(err, 'failed');
      return;
    }
    this.#originate = started;
    if (this.#state !== 'dialling') {
      // The agent hung up or went away while the originate was on its way.
      await started.cancel();
      return;
    }
    this.#send({ event: 'ringing', callId, timestamp: Date.now() });
    try {
      await started.answered;
    } catch (err) {
      this.#owner.unbind(callId);
      if (this.#state !== 'dialling') return;
      log.info({ code: isAppError(err) ? err.code : undefined }, 'agent invite: not answered');
      this.#notAnswered(err, undefined);
      return;
    }
    if (this.#state !== 'dialling') return;
    this.#state = 'answered';
    log.info('agent invite: answered');
    const session = o.callById(callId);
    if (!session) {
      this.#owner.unbind(callId);
      this.#sendHangup('error', 'system', undefined);
      await this.#finish(1000, 'call ended');
      return;
    }
    session.done.then(() => {
      // Ended before its media (and agent) were up: nobody else tells the agent.
      if (this.#state !== 'answered') return;
      this.#owner.unbind(callId);
      const s = session.endSummary;
      this.#sendHangup(s?.reason ?? 'error', s?.initiator ?? 'system', s?.hangupCause);
      void this.#finish(1000, 'call ended');
    });
  }

  /** The call's agent takes the socket: every frame from now on is the call's. */
  #handOver(): void {
    this.#state = 'handed-over';
    this.#detach();
    this.#resolveDone();
  }

  #notAnswered(err: unknown, forced: InviteRejectReason | undefined): void {
    const details = isAppError(err) ? (err.details as { cause?: number; causeTxt?: string } | undefined) : undefined;
    const code = isAppError(err) ? err.code : undefined;
    const reason: InviteRejectReason =
      forced ?? (code === 'ORIGINATE_BUSY' ? 'busy' : code === 'ORIGINATE_NO_ANSWER' ? 'no_answer' : 'failed');
    this.#send({
      event: 'reject',
      callId: this.#callId,
      timestamp: Date.now(),
      reason,
      ...(details?.cause !== undefined ? { cause: details.cause } : {}),
      ...(details?.causeTxt !== undefined ? { causeText: details.causeTxt } : {}),
      message: err instanceof Error ? err.message : String(err),
    });
    // The socket may place another call; it gets a new id.
    this.#state = 'idle';
    this.#callId = randomUUID();
    this.#originate = undefined;
  }

  /** The agent hung up before the answer reached it: cancel the dial, or end the call that is being set up. */
  async #hangUp(): Promise<void> {
    const callId = this.#callId;
    const wasDialling = this.#state === 'dialling';
    this.#state = 'closed';
    this.#owner.unbind(callId);
    this.#log.info({ callId }, 'agent invite: hung up by the agent before the answer');
    this.#sendHangup('agent_hangup', 'agent', undefined);
    if (wasDialling) await this.#originate?.cancel();
    else await this.#owner.options.callById(callId)?.close('agent_hangup');
    await this.#finish(1000, 'call ended');
  }

  #socketClosed(): void {
    if (this.#state === 'handed-over' || this.#state === 'closed') return;
    const was = this.#state;
    this.#state = 'closed';
    this.#detach();
    this.#owner.unbind(this.#callId);
    if (was === 'dialling') void this.#originate?.cancel();
    if (was === 'answered') void this.#owner.options.callById(this.#callId)?.close('agent_failed');
    this.#resolveDone();
  }

  #sendHangup(reason: string, initiator: 'caller' | 'agent' | 'system', cause: number | undefined): void {
    const now = Date.now();
    this.#send({
      event: 'hangup',
      callId: this.#callId,
      timestamp: now,
      reason,
      initiator,
      ...(cause !== undefined ? { cause } : {}),
      startTime: this.#startedAt,
      hangupTime: now,
    });
  }

  async #finish(code: number, reason: string): Promise<void> {
    this.#state = 'closed';
    this.#detach();
    await this.#socket.close(code, reason);
    this.#resolveDone();
  }

  #detach(): void {
    this.#socket.off('text', this.#onText);
    this.#socket.off('binary', this.#onBinary);
    this.#socket.off('close', this.#onClose);
  }

  #send(event: AdapterEvent): void {
    if (this.#socket.isOpen) this.#socket.sendJson(event);
  }

  #error(code: AgentErrorCode, message: string, command: string | undefined): void {
    const callId = this.#state === 'idle' ? NO_CALL_ID : this.#callId;
    this.#send(agentErrorEvent(callId, Date.now(), code, message, command ? { command } : {}));
  }
}
