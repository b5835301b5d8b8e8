import type { LifecycleEvent, LifecycleEventType } from '../../calls/call-lifecycle.js';
import type { CallSession, CallState } from '../../calls/call-session.js';
import type { CallRegistry } from '../../calls/call-registry.js';

/** Most events kept per live call for consoles that connect later. */
export const CONSOLE_EVENTS_PER_CALL = 200;

/** One session event as the console sees it. */
export interface ConsoleEvent {
  type: LifecycleEventType;
  at: string;
  data: Record<string, unknown>;
}

/** A live call as the console sees it. */
export interface ConsoleCall {
  id: string;
  direction: 'inbound' | 'outbound';
  caller: string | null;
  callee: string | null;
  route: string;
  agentKind: string;
  state: CallState;
  startedAt: string;
  /** The latest events, oldest first (at most `CONSOLE_EVENTS_PER_CALL`). */
  events: ConsoleEvent[];
}

/** What the console WebSocket pushes. */
export type ConsoleMessage =
  | { type: 'hello'; principal: string; scope: 'read' | 'control'; calls: ConsoleCall[] }
  | { type: 'call.added'; call: ConsoleCall }
  | { type: 'call.state'; callId: string; state: CallState }
  | { type: 'call.event'; callId: string; event: ConsoleEvent }
  | {
      type: 'call.ended';
      callId: string;
      reason: string;
      initiator: string;
      endedAt: string;
      latency: unknown;
    }
  | { type: 'error'; code: string; message: string };

/** JSON-safe copy of event data (drops what JSON cannot carry; caps long strings). */
function plain(data: object): Record<string, unknown> {
  try {
    return JSON.parse(
      JSON.stringify(data, function (this: Record<string, unknown>, k: string, v: unknown) {
        // `v` is already what toJSON made of it; the raw value tells a Buffer apart.
        const raw = this[k];
        if (raw instanceof Uint8Array) return `<${raw.length} bytes>`;
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'string' && v.length > 4000) return `${v.slice(0, 4000)}…`;
        return v;
      }),
    ) as Record<string, unknown>;
  } catch {
    return {};
  }
}

interface Tracked {
  call: ConsoleCall;
  detach(): void;
}

/**
 * The live calls of a `CallRegistry` as console messages: keeps a bounded history of each live call's events for
 * consoles that connect later and tells every subscriber what happens as it happens. One per HTTP server.
 */
export class ConsoleFeed {
  readonly #registry: CallRegistry;
  readonly #calls = new Map<string, Tracked>();
  readonly #listeners = new Set<(m: ConsoleMessage) => void>();
  readonly #onAdded = (s: CallSession) => this.#track(s, true);
  readonly #onRemoved = (s: CallSession) => {
    const tracked = this.#calls.get(s.id);
    if (!tracked) return;
    tracked.detach();
    this.#calls.delete(s.id);
    const summary = s.endSummary;
    this.#send({
      type: 'call.ended',
      callId: s.id,
      reason: summary?.reason ?? 'unknown',
      initiator: summary?.initiator ?? 'unknown',
      endedAt: (summary?.endedAt ?? new Date()).toISOString(),
      latency: (summary as { latency?: unknown } | undefined)?.latency ?? null,
    });
  };
  #closed = false;

  constructor(registry: CallRegistry) {
    this.#registry = registry;
    registry.on('added', this.#onAdded);
    registry.on('removed', this.#onRemoved);
    for (const s of registry.list()) this.#track(s, false);
  }

  /** Snapshots of the live calls, oldest first. */
  snapshot(): ConsoleCall[] {
    return [...this.#calls.values()].map((t) => ({ ...t.call, events: [...t.call.events] }));
  }

  /** Calls `listener` with every later message; returns the function that stops it. */
  subscribe(listener: (m: ConsoleMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops following calls and drops every subscriber. Idempotent; resolves at once. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#registry.off('added', this.#onAdded);
    this.#registry.off('removed', this.#onRemoved);
    for (const t of this.#calls.values()) t.detach();
    this.#calls.clear();
    this.#listeners.clear();
    return Promise.resolve();
  }

  #send(m: ConsoleMessage): void {
    for (const l of this.#listeners) {
      try {
        l(m);
      } catch {
        // A subscriber's failure is its own; the others still get the message.
      }
    }
  }

  #track(s: CallSession, announce: boolean): void {
    if (this.#calls.has(s.id)) return;
    const info = s.info;
    const call: ConsoleCall = {
      id: s.id,
      direction: info.direction,
      caller: info.caller ?? null,
      callee: info.callee ?? null,
      route: info.route.name,
      agentKind: info.route.agent.kind,
      state: s.state,
      startedAt: info.startedAt.toISOString(),
      events: [],
    };
    const onEvent = (e: LifecycleEvent) => {
      const event: ConsoleEvent = { type: e.type, at: e.at.toISOString(), data: plain(e.data) };
      call.events.push(event);
      if (call.events.length > CONSOLE_EVENTS_PER_CALL) call.events.shift();
      this.#send({ type: 'call.event', callId: s.id, event });
    };
    const onState = (state: CallState) => {
      call.state = state;
      this.#send({ type: 'call.state', callId: s.id, state });
    };
    s.on('event', onEvent);
    s.on('state', onState);
    this.#calls.set(s.id, {
      call,
      detach: () => {
        s.off('event', onEvent);
        s.off('state', onState);
      },
    });
    if (announce) this.#send({ type: 'call.added', call: { ...call, events: [...call.events] } });
  }
}
