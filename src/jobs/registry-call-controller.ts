import { randomUUID } from 'node:crypto';
import type { CallRegistry } from '../calls/call-registry.js';
import type { CallSession } from '../calls/call-session.js';
import type { RouteMatcher } from '../calls/route-matcher.js';
import type { StasisController } from '../calls/stasis-controller.js';
import type { TransferTarget } from '../calls/voice-agent.js';
import { resolveAmdSettings } from '../config/amd-config.js';
import type { Route } from '../config/routes.js';
import { AppError } from '../errors/app-error.js';
import type { CallController } from './call-controller.js';
import type {
  ControlResults,
  DtmfCommand,
  HangupCommand,
  OriginateCommand,
  PlayCommand,
  RecordCommand,
  SendMessageCommand,
  TransferCommand,
} from './control-commands.js';

export interface RegistryCallControllerOptions {
  registry: CallRegistry;
  routes: RouteMatcher;
  /** Route for originated calls that name none. */
  defaultRoute: Route | undefined;
  stasis: StasisController | undefined;
}

/** Carries out call-control jobs on this instance's live calls (and originates through its ARI connection). */
export class RegistryCallController implements CallController {
  readonly #o: RegistryCallControllerOptions;

  constructor(options: RegistryCallControllerOptions) {
    this.#o = options;
  }

  #live(callId: string): CallSession {
    const session = this.#o.registry.get(callId);
    if (!session)
      throw new AppError(`call ${callId} is not live on this instance`, {
        code: 'CALL_NOT_FOUND',
        category: 'not_found',
      });
    if (session.closing) throw new AppError(`call ${callId} has ended`, { code: 'CALL_ENDED', category: 'conflict' });
    return session;
  }

  #telephony(session: CallSession) {
    const tel = session.telephony;
    if (!tel) {
      throw new AppError('this call came straight from the dialplan (no ARI): only hangup and send-message apply', {
        code: 'ACTION_UNAVAILABLE',
        category: 'invalid_request',
      });
    }
    return tel;
  }

  async originate(command: OriginateCommand & { callId: string }): Promise<ControlResults['originate']> {
    const stasis = this.#o.stasis;
    if (!stasis)
      throw new AppError('originate needs ARI (ARI_URL is not set)', {
        code: 'ARI_NOT_CONFIGURED',
        category: 'configuration',
      });
    const route = command.route ? this.#o.routes.byName(command.route) : this.#o.defaultRoute;
    if (!route) {
      throw new AppError(command.route ? `no route named ${command.route}` : 'no route given and no default route', {
        code: 'ROUTE_NOT_FOUND',
        category: 'invalid_request',
      });
    }
    const started = await stasis.startOriginate({
      callId: command.callId,
      endpoint: command.endpoint,
      route,
      callerId: command.callerId,
      timeoutSec: command.timeoutSec,
      variables: command.variables,
      amd: resolveAmdSettings(route.amd, command.amd),
    });
    return { callId: started.callId, channelId: started.channelId };
  }

  async hangup(command: HangupCommand): Promise<ControlResults['hangup']> {
    const session = this.#live(command.callId);
    session.record('control', { type: 'hangup', reason: command.reason ?? null });
    await session.close('control_hangup');
    return { ended: true };
  }

  async transfer(command: TransferCommand): Promise<ControlResults['transfer']> {
    const session = this.#live(command.callId);
    this.#telephony(session);
    const target: TransferTarget = command.context
      ? { context: command.context, extension: command.target }
      : { endpoint: command.target };
    if (command.mode === 'warm') {
      session.record('action', { type: 'warmTransfer', transfer: { target } });
      const { transferId } = session.startWarmTransfer({
        target,
        ...(command.summary !== undefined ? { summary: command.summary } : {}),
        ...(command.prompt !== undefined ? { prompt: command.prompt } : {}),
        ...(command.reason !== undefined ? { reason: command.reason } : {}),
      });
      return { accepted: true, transferId };
    }
    if (command.summary !== undefined || command.prompt !== undefined || command.reason !== undefined) {
      throw new AppError('summary, prompt and reason are for a warm transfer: add mode "warm"', {
        code: 'INVALID_COMMAND',
        category: 'invalid_request',
      });
    }
    await session.act({ type: 'transfer', target });
    return { accepted: true };
  }

  async play(command: PlayCommand): Promise<ControlResults['play']> {
    const session = this.#live(command.callId);
    const playbackId = `play-${randomUUID()}`;
    await this.#telephony(session).play(command.media, playbackId);
    return { playbackId };
  }

  async sendDtmf(command: DtmfCommand): Promise<ControlResults['dtmf']> {
    const session = this.#live(command.callId);
    await this.#telephony(session).sendDtmf(command.digits);
    return { sent: command.digits.length };
  }

  async sendMessage(command: SendMessageCommand): Promise<ControlResults['send-message']> {
    const session = this.#live(command.callId);
    const agent = session.agent;
    if (!agent?.sendMessage) {
      throw new AppError(`the ${agent?.kind ?? "call's"} agent does not take text messages`, {
        code: 'ACTION_UNAVAILABLE',
        category: 'invalid_request',
      });
    }
    agent.sendMessage(command.text, { interrupt: command.interrupt ?? false });
    return { accepted: true };
  }

  async record(command: RecordCommand): Promise<ControlResults['record']> {
    const session = this.#live(command.callId);
    const tel = this.#telephony(session);
    const name = command.name ?? `call-${session.id}`;
    if (command.action === 'start') {
      await tel.startRecording(name);
      session.record('recording.started', { name, format: 'wav' });
      return { name, status: 'recording' };
    }
    await tel.stopRecording(name);
    session.record('recording.finished', { name, status: 'done' });
    return { name, status: 'stopped' };
  }
}
