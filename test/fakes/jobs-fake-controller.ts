import { AppError } from '../../src/errors/app-error.js';
import type { CallController } from '../../src/jobs/call-controller.js';
import type { ControlCommand, ControlResults } from '../../src/jobs/control-commands.js';

/** A command the fake controller ran, with the instance it ran on. */
export interface ExecutedCommand {
  instanceId: string;
  command: ControlCommand;
}

/**
 * A `CallController` for tests: knows a set of live calls, records every command it runs, and can hold a command
 * until the test releases it (`hold`), to have a job in flight at a chosen moment.
 */
export class FakeCallController implements CallController {
  readonly instanceId: string;
  /** Commands run on a live call (or originate). */
  readonly executed: ExecutedCommand[] = [];
  /** Every invocation, including those refused because the call was not live. */
  readonly invocations: ExecutedCommand[] = [];
  readonly live = new Set<string>();
  readonly #held = new Map<string, { started: () => void; release: Promise<void> }>();
  readonly #startedWaiters = new Map<string, Promise<void>>();

  constructor(instanceId: string) {
    this.instanceId = instanceId;
  }

  /**
   * Makes the next command of `type` wait inside the controller until `release()` is called. Returns a promise
   * resolving when that command has started.
   */
  hold(type: ControlCommand['type']): { started: Promise<void>; release: () => void } {
    let release!: () => void;
    const releasePromise = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const startedPromise = new Promise<void>((r) => {
      started = r;
    });
    this.#held.set(type, { started, release: releasePromise });
    this.#startedWaiters.set(type, startedPromise);
    return { started: startedPromise, release };
  }

  count(type: ControlCommand['type'], callId?: string, list: readonly ExecutedCommand[] = this.executed): number {
    return list.filter(
      (e) =>
        e.command.type === type && (callId === undefined || ('callId' in e.command && e.command.callId === callId)),
    ).length;
  }

  async #run(command: ControlCommand): Promise<void> {
    this.invocations.push({ instanceId: this.instanceId, command });
    if (command.type !== 'originate' && !this.live.has(command.callId)) {
      throw new AppError(`call ${command.callId} is not live on ${this.instanceId}`, {
        code: 'CALL_NOT_FOUND',
        category: 'not_found',
      });
    }
    this.executed.push({ instanceId: this.instanceId, command });
    const held = this.#held.get(command.type);
    if (held) {
      this.#held.delete(command.type);
      held.started();
      await held.release;
    }
  }

  async originate(
    command: ControlCommand & { type: 'originate'; callId: string },
  ): Promise<ControlResults['originate']> {
    await this.#run(command);
    this.live.add(command.callId);
    return { callId: command.callId, channelId: `chan-${command.callId.slice(0, 8)}` };
  }

  async hangup(command: ControlCommand & { type: 'hangup' }): Promise<ControlResults['hangup']> {
    await this.#run(command);
    this.live.delete(command.callId);
    return { ended: true };
  }

  async transfer(command: ControlCommand & { type: 'transfer' }): Promise<ControlResults['transfer']> {
    await this.#run(command);
    return { accepted: true };
  }

  async play(command: ControlCommand & { type: 'play' }): Promise<ControlResults['play']> {
    await this.#run(command);
    return { playbackId: `pb-${this.executed.length}` };
  }

  async sendDtmf(command: ControlCommand & { type: 'dtmf' }): Promise<ControlResults['dtmf']> {
    await this.#run(command);
    return { sent: command.digits.length };
  }

  async sendMessage(command: ControlCommand & { type: 'send-message' }): Promise<ControlResults['send-message']> {
    await this.#run(command);
    return { accepted: true };
  }

  async record(command: ControlCommand & { type: 'record' }): Promise<ControlResults['record']> {
    await this.#run(command);
    return {
      name: command.name ?? `rec-${command.callId}`,
      status: command.action === 'start' ? 'recording' : 'stopped',
    };
  }
}
