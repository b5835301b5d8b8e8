/** Shared helpers of the ARI integration tests: a simulated Asterisk, a client, an events stream and a collector. */
import type { AriEvent } from '../../../src/protocols/ari/index.js';
import {
  type SimulatedAsterisk,
  type SimulatedAsteriskOptions,
  startSimulatedAsterisk,
} from '../../../src/simulator/ari/index.js';
import { AriClient, AriEventStream, type AriEventStreamOptions } from '../../../src/transports/ari/index.js';

export const USER = 'adapter';
export const PASSWORD = 'S3cr3t-Pa55word!';
export const APP = 'voice-adapter';

export function startSim(options: Partial<SimulatedAsteriskOptions> = {}): Promise<SimulatedAsterisk> {
  return startSimulatedAsterisk({ username: USER, password: PASSWORD, app: APP, audioSocket: false, ...options });
}

export function clientFor(sim: { url: string }, password = PASSWORD): AriClient {
  return new AriClient({ baseUrl: sim.url, username: USER, password, requestTimeoutMs: 10_000 });
}

export function streamFor(sim: { url: string }, options: Partial<AriEventStreamOptions> = {}): AriEventStream {
  return new AriEventStream({
    baseUrl: sim.url,
    username: USER,
    password: PASSWORD,
    app: APP,
    reconnect: { initialDelayMs: 10, maxDelayMs: 200, multiplier: 2, jitter: 0.1, maxAttempts: 0 },
    pingIntervalMs: 0,
    ...options,
  });
}

/** Collects the events of a stream and waits for conditions on them (never by sleeping). */
export class EventCollector {
  readonly events: AriEvent[] = [];
  #waiters: Array<() => void> = [];

  constructor(stream: AriEventStream) {
    stream.on('event', (e) => {
      this.events.push(e);
      for (const w of this.#waiters) w();
    });
  }

  /** Resolves when `check` returns a value other than undefined, re-checked on each event. */
  until<T>(check: (events: readonly AriEvent[]) => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = () => {
        const value = check(this.events);
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; got: ${this.events.map((e) => e.type).join(', ')}`));
      }, timeoutMs);
      const waiter = () => void attempt();
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
      };
      this.#waiters.push(waiter);
      attempt();
    });
  }

  /** Waits for the first event (from index `from`) of `type` matching `match`. */
  next<T extends AriEvent['type']>(
    type: T,
    match: (e: Extract<AriEvent, { type: T }>) => boolean = () => true,
    from = 0,
  ): Promise<Extract<AriEvent, { type: T }>> {
    return this.until(
      (events) =>
        events.slice(from).find((e): e is Extract<AriEvent, { type: T }> => e.type === type && match(e as never)),
      type,
    );
  }

  /** Waits until this collector holds as many events as the simulator delivered. */
  async drained(sim: SimulatedAsterisk): Promise<void> {
    await this.until((events) => (events.length >= sim.eventsDelivered() ? true : undefined), 'all delivered events');
  }
}

/** Starts a stream and waits until the simulator has registered its application. */
export async function connectedStream(
  sim: SimulatedAsterisk,
  options: Partial<AriEventStreamOptions> = {},
): Promise<{ stream: AriEventStream; events: EventCollector }> {
  const stream = streamFor(sim, options);
  const events = new EventCollector(stream);
  await stream.start();
  return { stream, events };
}
