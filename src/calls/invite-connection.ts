import { randomUUID } from 'node:crypto';
import type { Route } from '../config/routes.js';
import { isAppError } from '../errors/app-error.js';
import type { Logger } from '../observability/logger.js';
import {
  type AdapterEvent,
  type AgentErrorCode,
  agentErrorEvent,
  type InviteCommand,
  type InviteRejectReason,
  NO_CALL_ID,
  parseAgentMessage,
} from '../protocols/agent/index.js';
import type { AgentSocket } from '../transports/agent-ws/agent-socket.js';
import { inviteAllowed } from './invite-allowlist.js';
import type { WebSocket } from 'ws';
import { type InvitedAudio, invitedNativeAgent } from './agents/invited-agent.js';
import type { CallSession } from './call-session.js';
import type { OriginateRequest, StartedOriginate } from './stasis-originate.js';
import type { CallInfo, VoiceAgent } from './voice-agent.js';

/** Sample rate of an invited agent's audio when the invite does not name one (as for dialled native agents). */
const DEFAULT_INVITE_SAMPLE_RATE = 16000;

/** Who connected the socket: the name of its API token. */
export interface InvitePrincipal {
  readonly name: string;
}

export interface AgentInvitesOptions {
  /** Places an outbound call through ARI (the Stasis controller's `startOriginate`); undefined without ARI. */
  readonly originate: () => ((request: OriginateRequest) => Promise<StartedOriginate>) | undefined;
  readonly routeByName: (name: string) => Route | undefined;
  /** Route of invites that name none. */
  readonly defaultRoute: Route | undefined;
  /** The `dialable` patterns of an API token, by its name (undefined: the token names none). */
  readonly tokenDialable: (tokenName: string) => readonly string[] | undefined;
  /** The live call with this id (to follow an answered invite until its agent takes over). */
  readonly callById: (callId: string) => CallSession | undefined;
  /** A socket without a call is closed after this long. Default INVITE_IDLE_TIMEOUT_MS. */
  readonly idleTimeoutMs?: number;
  readonly logger: Logger;
}

/** How long a socket may stay without a call (no valid invite yet, or after a reject) before it is closed. */
export const INVITE_IDLE_TIMEOUT_MS = 30_000;

/** What a connection needs of the handler that owns it. */
/** The agent of an invite being dialled, as its call takes it. */
export interface BoundInvite {
  /** The audio the agent asked for. */
  readonly audio: InvitedAudio;
  /** Its agent in this process: the inviting socket, handed over to the call when it opens. */
  make(call: CallInfo): VoiceAgent;
  /** The inviting socket itself, handed over now, for a media worker to run the agent on; undefined if it closed. */
  take(): WebSocket | undefined;
}

export interface InviteOwner {
  readonly options: AgentInvitesOptions;
  /** Registers the agent of an invite being dialled, for the agent factory. */
  bind(callId: string, invite: BoundInvite): void;
  /** Forgets it; whether it was still waiting to be taken. */
  unbind(callId: string): boolean;
}

type State = 'idle' | 'dialling' | 'answered' | 'handed-over' | 'closed';

/** One agent socket from its first `invite` until its call's agent takes it (or it closes). */
export class InviteConnection {
  readonly #owner: InviteOwner;
  readonly #socket: AgentSocket<AdapterEvent>;
  readonly #principal: InvitePrincipal;
  #log: Logger;
  #state: State = 'idle';
  /** Id of the call this socket places next (or is placing). */
  #callId = randomUUID();
  #startedAt = Date.now();
  #originate: StartedOriginate | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #idleMs: number;
  #resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });
  readonly #onText = (text: string) => this.text(text);
  readonly #onBinary = () => {
    // Audio before the call is answered has no one to hear it.
  };
  readonly #onClose = () => this.#socketClosed();

  constructor(owner: InviteOwner, socket: AgentSocket<AdapterEvent>, principal: InvitePrincipal, log: Logger) {
    this.#owner = owner;
    this.#socket = socket;
    this.#principal = principal;
    this.#log = log.child({ principal: principal.name });
    this.#idleMs = owner.options.idleTimeoutMs ?? INVITE_IDLE_TIMEOUT_MS;
    socket.on('text', this.#onText);
    socket.on('binary', this.#onBinary);
    socket.on('close', this.#onClose);
    if (!socket.isOpen) queueMicrotask(() => this.#socketClosed());
    this.#armIdle();
  }

  text(text: string): void {
    if (this.#state === 'handed-over' || this.#state === 'closed') return;
    const parsed = parseAgentMessage(text);
    if (!parsed.ok) {
      this.#log.warn(
        { code: parsed.error.code, detail: parsed.error.message },
        'agent sent a bad message before a call',
      );
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

  /** Shutdown: cancel a dial in progress and close the socket, unless a call's agent has it already. */
  async shutdown(): Promise<void> {
    const was = this.#state;
    if (was === 'handed-over' || was === 'closed') return;
    this.#state = 'closed';
    this.#owner.unbind(this.#callId);
    if (was !== 'idle') this.#sendHangup('shutdown', 'system', undefined);
    if (was === 'dialling') await this.#originate?.cancel();
    await this.#finish(1001, 'adapter shutting down');
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
    const originate = o.originate();
    if (!originate) {
      this.#error('invite_unavailable', 'invite needs ARI (the adapter has no ARI_URL)', 'invite');
      return;
    }
    this.#state = 'dialling';
    clearTimeout(this.#idleTimer);
    this.#startedAt = Date.now();
    const audio: InvitedAudio = {
      sampleRate: cmd.audio?.sampleRate ?? DEFAULT_INVITE_SAMPLE_RATE,
      frameMs: cmd.audio?.frameMs ?? 20,
    };
    this.#owner.bind(callId, {
      audio,
      make: (call) =>
        invitedNativeAgent(
          call,
          audio,
          () => {
            this.#handOver();
            return Promise.resolve(this.#socket);
          },
          log,
        ),
      take: () => {
        this.#handOver();
        return this.#socket.release();
      },
    });
    log.info({ callee: cmd.callee, route: route.name }, 'agent invite: dialling');
    let started: StartedOriginate;
    try {
      started = await originate({
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
    if (this.#state !== 'dialling') {
      // Answered just as the agent hung up or went away: the call has no agent, end it before its media is up.
      log.info('agent invite: answered after the agent left; hanging up');
      await o.callById(callId)?.close(this.#state === 'closed' ? 'agent_hangup' : 'agent_failed');
      return;
    }
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
    this.#armIdle();
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

  /** A socket without a call is closed after INVITE_IDLE_TIMEOUT_MS (sockets are held per agent token). */
  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#state !== 'idle') return;
      this.#error('invalid_state', `no call placed within ${this.#idleMs} ms; closing`, undefined);
      void this.#finish(1000, 'no call');
    }, this.#idleMs);
    this.#idleTimer.unref();
  }

  #detach(): void {
    clearTimeout(this.#idleTimer);
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
