/**
 * A handle on one channel of the simulated Asterisk, for tests and the demo: its current snapshot, the events
 * the application got about it, the DTMF the application sent it, and the far end's actions (hang up, press a
 * key, answer, talk).
 */
import type { Channel, KnownAriEvent } from '../../protocols/ari/index.js';
import { ev } from './event-factory.js';
import type { SentDtmf } from './rest-deps.js';
import type { ChannelEnd, ChannelObserver, SimCore } from './sim-core.js';
import { channelSnapshot, type SimChannel } from './sim-model.js';

interface Waiter {
  readonly match: (event: KnownAriEvent) => boolean;
  readonly resolve: (event: KnownAriEvent) => void;
  readonly reject: (error: Error) => void;
}

export class SimulatedChannel implements ChannelObserver {
  readonly id: string;
  readonly name: string;
  /** Events the application was sent about this channel, in order. */
  readonly events: KnownAriEvent[] = [];
  /** DTMF the application sent to this channel through ARI. */
  readonly dtmfSent: SentDtmf[] = [];
  /** Settles when the channel is gone. */
  readonly ended: Promise<ChannelEnd>;
  readonly #core: SimCore;
  readonly #ch: SimChannel;
  readonly #answer: (id: string) => boolean;
  #waiters: Waiter[] = [];
  #ended = false;
  #resolveEnded!: (end: ChannelEnd) => void;

  constructor(core: SimCore, ch: SimChannel, answer: (id: string) => boolean) {
    this.#core = core;
    this.#ch = ch;
    this.#answer = answer;
    this.id = ch.id;
    this.name = ch.name;
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  /** The audio given to `placeInboundCall` (what this caller sends once bridged with an AudioSocket channel). */
  get audio(): unknown {
    return this.#ch.audio;
  }

  get alive(): boolean {
    return this.#core.channels.get(this.id) === this.#ch;
  }

  get inStasis(): boolean {
    return this.alive && this.#ch.inStasis;
  }

  get bridgeId(): string | undefined {
    return this.alive ? this.#ch.bridgeId : undefined;
  }

  /** The channel as `GET /channels/{id}` shows it, or undefined once it is gone. */
  snapshot(): Channel | undefined {
    return this.alive ? channelSnapshot(this.#ch) : undefined;
  }

  /** The far end hangs up (a SIP BYE). Its events are emitted before this resolves. */
  async hangup(): Promise<void> {
    if (this.alive) this.#core.teardown(this.#ch, 'remote', 16);
  }

  /**
   * Asterisk takes the channel out of its bridge while it stays in Stasis: ChannelLeftBridge, as when the bridge
   * finds no translation path between the channel's format and its peer's ("No path to translate from …").
   * Returns false if the channel was in no bridge.
   */
  leaveBridge(): boolean {
    if (!this.alive || this.#ch.bridgeId === undefined) return false;
    this.#core.leaveBridge(this.#ch, 'kicked');
    return true;
  }

  /** The far end presses `digits` (each one a ChannelDtmfReceived of `durationMs` once it ends). */
  sendDtmf(digits: string, durationMs = 160): void {
    for (const digit of digits) {
      if (!this.alive) return;
      this.#core.dtmfReceived(this.#ch, digit, durationMs);
    }
  }

  /** The far end answers a ringing outbound call. Returns false if it was not ringing. */
  answer(): boolean {
    return this.#answer(this.id);
  }

  /** The caller talks for `durationMs`: ChannelTalkingStarted now, ChannelTalkingFinished after that long. */
  talk(durationMs: number): void {
    if (!this.alive) return;
    this.#core.emit(this.#ch, (s) => ev.talkingStarted(s, channelSnapshot(this.#ch)));
    this.#core.later(durationMs, () => {
      if (this.alive) this.#core.emit(this.#ch, (s) => ev.talkingFinished(s, channelSnapshot(this.#ch), durationMs));
    });
  }

  /**
   * Resolves with the first event (already sent or to come) of `type` that satisfies `match`; rejects if the
   * channel ends without one.
   */
  waitForEvent<T extends KnownAriEvent['type']>(
    type: T,
    match: (event: Extract<KnownAriEvent, { type: T }>) => boolean = () => true,
  ): Promise<Extract<KnownAriEvent, { type: T }>> {
    const test = (e: KnownAriEvent): e is Extract<KnownAriEvent, { type: T }> =>
      e.type === type && match(e as Extract<KnownAriEvent, { type: T }>);
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    if (this.#ended) return Promise.reject(new Error(`channel ${this.id} ended without ${type}`));
    return new Promise((resolve, reject) => {
      this.#waiters.push({ match: test, resolve: (e) => resolve(e as Extract<KnownAriEvent, { type: T }>), reject });
    });
  }

  onEvent(event: KnownAriEvent): void {
    this.events.push(event);
    const ready = this.#waiters.filter((w) => w.match(event));
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(event);
  }

  onEnded(info: ChannelEnd): void {
    this.#ended = true;
    this.#resolveEnded(info);
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) w.reject(new Error(`channel ${this.id} ended without the awaited event`));
  }

  /** Records DTMF the application sent. */
  recordDtmf(sent: SentDtmf): void {
    this.dtmfSent.push(sent);
  }
}
