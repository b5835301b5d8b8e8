/**
 * Outbound calls of the simulated Asterisk: configured endpoints, how each one answers, and `POST /channels`.
 * The answered sequence is the recorded one (06-originate): a 200 with state Down, then Dial(""),
 * ChannelStateChange(Ringing), Dial(RINGING); on answer ChannelStateChange(Up), Dial(ANSWER),
 * ChannelVarset STASISSTATUS="", StasisStart(args).
 */
import { randomUUID } from 'node:crypto';
import {
  AMD_APP_VARIABLE,
  AMD_ARGUMENT_VARIABLES,
  AMD_CONTEXT,
  AMD_RETURN_ARG,
  type AmdStatus,
} from '../../protocols/ari/amd-dialplan.js';
import type { CallerId, Endpoint } from '../../protocols/ari/index.js';
import { ev } from './event-factory.js';
import { type SimReply, intParam, listParam, ok, param, type SimRequest } from './rest-types.js';
import { ariError, SimHttpError, type SimCore } from './sim-core.js';
import { channelSnapshot, type SimChannel } from './sim-model.js';

/** What a simulated far end does when called. `fail` is refused at once (500 `Allocation failed`). */
export type EndpointBehaviour = 'answer' | 'busy' | 'noanswer' | 'fail';

export interface EndpointBehaviourOptions {
  /** How long it rings before answering (`answer`) or before the dial gives up (`noanswer`, capped by the
   * originate `timeout`). `manual` rings until `SimulatedChannel.answer()`. Default 100 ms for `answer`. */
  readonly ringMs?: number | 'manual';
  /** Dialplan context of the endpoint (the originated channel's dialplan.context). Default `from-trunk`. */
  readonly context?: string;
  /** Caller id the far end presents as connected line. */
  readonly callerId?: CallerId;
  /** What the far end says once answered (played into the call's media channel, like an inbound caller's audio). */
  readonly audio?: unknown;
  /**
   * What `AMD()` in the `[ava-amd]` dialplan context reports for this far end: `AMDSTATUS`, `AMDCAUSE` and how long
   * the analysis takes (default 1500 ms). Without it, AMD() reports NOTSURE / TOOLONG-<total analysis>.
   */
  readonly amd?: { readonly status: AmdStatus; readonly cause: string; readonly delayMs?: number };
  /**
   * Called when a channel to this endpoint starts ringing, with the originate's channel variables (e.g.
   * `PJSIP_HEADER(add,X-…)`, the SIP headers the INVITE carries): a simulated far end decides from them.
   */
  readonly onDial?: (dial: {
    readonly channelId: string;
    readonly variables: Readonly<Record<string, string>>;
  }) => void;
}

interface EndpointEntry {
  readonly technology: string;
  readonly resource: string;
  behaviour: EndpointBehaviour;
  options: EndpointBehaviourOptions;
}

/** `"Name" <1000>`, `Name <1000>` or `1000`. */
export function parseCallerId(value: string): CallerId {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(value);
  if (m) return { name: m[1] ?? '', number: m[2] ?? '' };
  return { name: '', number: value.trim() };
}

export class SimOriginate {
  readonly #core: SimCore;
  readonly #endpoints = new Map<string, EndpointEntry>();
  readonly #ringing = new Map<string, { timer: NodeJS.Timeout | undefined; answer: () => void }>();
  readonly #amdOf = new Map<string, EndpointBehaviourOptions['amd']>();

  constructor(core: SimCore) {
    this.#core = core;
    this.setBehaviour('PJSIP/trunk', 'answer');
    this.setBehaviour('PJSIP/caller', 'answer');
  }

  /** Adds or changes an endpoint, named `tech/resource` (e.g. `PJSIP/trunk`). */
  setBehaviour(endpoint: string, behaviour: EndpointBehaviour, options: EndpointBehaviourOptions = {}): void {
    const [technology, resource] = splitEndpoint(endpoint);
    if (technology === undefined || resource === undefined)
      throw new Error(`endpoint must be tech/resource: ${endpoint}`);
    this.#endpoints.set(`${technology}/${resource}`, { technology, resource, behaviour, options });
  }

  list(): Endpoint[] {
    return [...this.#endpoints.values()].map((e) => ({
      technology: e.technology,
      resource: e.resource,
      state: 'online',
      channel_ids: [...this.#core.channels.values()]
        .filter((c) => c.name.startsWith(`${e.technology}/${e.resource}-`))
        .map((c) => c.id),
    }));
  }

  /** Answers a channel ringing with `ringMs: 'manual'` (or any ringing one). */
  answer(channelId: string): boolean {
    const ringing = this.#ringing.get(channelId);
    if (!ringing) return false;
    ringing.answer();
    return true;
  }

  channelEnding(ch: SimChannel): void {
    this.#amdOf.delete(ch.id);
    const ringing = this.#ringing.get(ch.id);
    if (!ringing) return;
    this.#core.cancel(ringing.timer);
    this.#ringing.delete(ch.id);
  }

  /**
   * A channel was continued from Stasis into the dialplan. `[ava-amd]` is modelled as the shipped
   * extensions.conf writes it: AMD() with the `AVA_AMD_*` values listens for a while, sets AMDSTATUS and AMDCAUSE
   * (ChannelVarset), then `Stasis(${AVA_APP},outbound-amd,${AMDSTATUS},${AMDCAUSE})`; on HANGUP the callee is gone.
   * Other contexts: the channel stays outside the application.
   */
  continued(ch: SimChannel): void {
    if (ch.dialplan.context !== AMD_CONTEXT) return;
    const args = AMD_ARGUMENT_VARIABLES.reduce<string[]>((out, v) => {
      out[v.position] = ch.vars.get(v.name) ?? '';
      return out;
    }, []);
    const total = Number(args[3] || 5000);
    const amd = this.#amdOf.get(ch.id) ?? { status: 'NOTSURE' as const, cause: `TOOLONG-${total}` };
    ch.dialplan = { ...ch.dialplan, app_name: 'AMD', app_data: Array.from(args, (a) => a ?? '').join(',') };
    const core = this.#core;
    core.later(amd.delayMs ?? 1500, () => {
      if (!core.channels.has(ch.id) || ch.ending) return;
      core.setVar(ch, 'AMDSTATUS', amd.status);
      core.setVar(ch, 'AMDCAUSE', amd.status === 'HANGUP' ? '' : amd.cause);
      if (amd.status === 'HANGUP') {
        core.teardown(ch, 'remote');
        return;
      }
      const app = ch.vars.get(AMD_APP_VARIABLE);
      if (app) core.startStasis(ch, app, [AMD_RETURN_ARG, amd.status, amd.cause], false);
      else core.teardown(ch, 'remote');
    });
  }

  reset(): void {
    for (const r of this.#ringing.values()) this.#core.cancel(r.timer);
    this.#ringing.clear();
  }

  /** `POST /channels` (and `POST /channels/{channelId}`). */
  originate(req: SimRequest, pathChannelId: string | undefined): SimReply {
    const endpoint = param(req, 'endpoint');
    if (endpoint === undefined) throw ariError(400, 'Endpoint must be specified');
    const app = param(req, 'app');
    const channelId = pathChannelId ?? param(req, 'channelId');
    if (channelId !== undefined && this.#core.channels.has(channelId)) {
      throw ariError(409, 'Channel with given unique ID already exists');
    }
    const [technology, rest] = splitEndpoint(endpoint);
    // PJSIP dial strings: `endpoint`, `number@endpoint` or `endpoint/sip:uri`.
    const resource = rest?.includes('/')
      ? rest.slice(0, rest.indexOf('/'))
      : rest?.includes('@')
        ? rest.slice(rest.lastIndexOf('@') + 1)
        : rest;
    const entry = this.#endpoints.get(`${technology}/${resource}`);
    if (!entry || entry.behaviour === 'fail') throw new SimHttpError(500, { error: 'Allocation failed' });
    const timeoutSeconds = intParam(req, 'timeout') ?? 30;
    const callerIdParam = param(req, 'callerId');
    const ch = this.#core.createChannel({
      id: channelId,
      name: this.#core.nextPjsipName(entry.resource),
      tech: 'PJSIP',
      origin: 'ari',
      state: 'Down',
      protocolId: randomUUID(),
      caller: callerIdParam === undefined ? undefined : parseCallerId(callerIdParam),
      dialplan: {
        context: entry.options.context ?? 'from-trunk',
        exten: 's',
        priority: 1,
        app_name: 'AppDial2',
        app_data: '(Outgoing Line)',
      },
      app,
      variables: req.variables,
      audio: entry.options.audio,
    });
    this.#amdOf.set(ch.id, entry.options.amd);
    const args = listParam(req, 'appArgs');
    const dialstring = rest ?? '';
    const body = channelSnapshot(ch);
    const variables = req.variables ?? {};
    return ok(body, () => {
      this.#progress(ch, entry, dialstring, args, timeoutSeconds);
      if (this.#ringing.has(ch.id)) entry.options.onDial?.({ channelId: ch.id, variables });
    });
  }

  #progress(ch: SimChannel, entry: EndpointEntry, dialstring: string, args: string[], timeoutSeconds: number): void {
    const core = this.#core;
    core.emit(ch, (s) => ev.dial(s, '', dialstring, channelSnapshot(ch)));
    if (entry.behaviour === 'busy') {
      core.emit(ch, (s) => ev.dial(s, 'BUSY', dialstring, channelSnapshot(ch)));
      core.teardown(ch, 'dial-failed', 17);
      return;
    }
    core.setState(ch, 'Ringing');
    core.emit(ch, (s) => ev.dial(s, 'RINGING', dialstring, channelSnapshot(ch)));
    const timeoutMs = timeoutSeconds > 0 ? timeoutSeconds * 1000 : undefined;
    const ring = entry.options.ringMs;
    const answer = () => {
      const r = this.#ringing.get(ch.id);
      if (!r) return;
      core.cancel(r.timer);
      this.#ringing.delete(ch.id);
      if (entry.options.callerId) ch.connected = { ...entry.options.callerId };
      core.setState(ch, 'Up');
      core.emit(ch, (s) => ev.dial(s, 'ANSWER', dialstring, channelSnapshot(ch)));
      if (ch.app !== undefined) core.startStasis(ch, ch.app, args, true);
    };
    const giveUp = () => {
      this.#ringing.delete(ch.id);
      core.emit(ch, (s) => ev.dial(s, 'NOANSWER', dialstring, channelSnapshot(ch)));
      core.teardown(ch, 'dial-failed', 19);
    };
    let timer: NodeJS.Timeout | undefined;
    if (entry.behaviour === 'answer' && ring !== 'manual') {
      const ringMs = ring ?? 100;
      timer =
        timeoutMs !== undefined && ringMs >= timeoutMs ? core.later(timeoutMs, giveUp) : core.later(ringMs, answer);
    } else {
      const wait = typeof ring === 'number' ? Math.min(ring, timeoutMs ?? ring) : timeoutMs;
      if (wait !== undefined) timer = core.later(wait, giveUp);
    }
    this.#ringing.set(ch.id, { timer, answer });
  }
}

function splitEndpoint(endpoint: string): [string | undefined, string | undefined] {
  const slash = endpoint.indexOf('/');
  if (slash <= 0 || slash === endpoint.length - 1) return [undefined, undefined];
  return [endpoint.slice(0, slash), endpoint.slice(slash + 1)];
}
