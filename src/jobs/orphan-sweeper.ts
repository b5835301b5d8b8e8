import type { Kysely } from 'kysely';
import { CallsRepository } from '../db/calls-repository.js';
import type { DB } from '../db/schema.js';
import { onceAsync } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import type { CallEventSink } from './call-event-types.js';
import type { CallOwnership } from './call-ownership.js';

export interface OrphanSweeperOptions {
  db: Kysely<DB>;
  ownership: Pick<CallOwnership, 'instanceId' | 'isAlive' | 'heldCalls' | 'ownedCalls' | 'leasesSettled'>;
  sink: CallEventSink;
  /** Time between two sweeps (each waits ±10 % so instances started together spread out). */
  intervalMs: number;
  /** Calls looked at per query; a dead owner with more open calls is walked page by page. */
  pageSize?: number;
  logger: Logger;
  /** Told of every call this instance closed as orphaned (for metrics). */
  onClosed?: (() => void) | undefined;
  /** Time source (tests). */
  now?: () => Date;
}

/** What one sweep did. */
export interface SweepResult {
  /** Calls this sweep closed as orphaned. */
  closed: string[];
  /** Owner instances of open calls that were found dead (this instance's predecessor included). */
  deadOwners: string[];
}

/**
 * Closes the calls of instances that died. A call row names the instance that owned it (`owner_instance`); the
 * owner keeps two leases alive in Redis (`instance:<id>` and `owner:<callId>`, `CALL_OWNERSHIP_TTL_MS`). A call
 * that has not ended is orphaned when
 * - its owner is another instance whose liveness key has expired and nobody holds the call's owner key (checked
 *   only once Redis has been up for a whole lease: a Redis restarted empty has lost the live instances' keys too), or
 * - its owner is this instance's own id but it was created before this process started (a predecessor with the
 *   same `INSTANCE_ID` died with it; the new process knows at once, without waiting for the lease).
 *
 * Each sweep (at start, then every `intervalMs`) ends such calls exactly as a normal end does, with reason
 * `orphaned`: the row gets `ended_at`, state `failed`, initiator `system`, and a `call.ended` event goes through
 * the event sink (stored in `call_events`, sent to the route's webhooks). Several instances may sweep at once:
 * the row is closed by a conditional UPDATE (`ended_at IS NULL`), and only the instance whose UPDATE changed the
 * row emits the event, so each orphan is closed, and announced, once.
 */
export class OrphanSweeper {
  readonly #o: OrphanSweeperOptions;
  readonly #calls: CallsRepository;
  readonly #log: Logger;
  /** Calls created before this moment under this instance's id belong to a previous process. */
  readonly #startedAt: Date;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SweepResult> | undefined;
  #closed = false;
  #failing = false;

  constructor(options: OrphanSweeperOptions) {
    this.#o = options;
    this.#calls = new CallsRepository(options.db);
    this.#log = options.logger.child({ component: 'orphan-sweep' });
    this.#startedAt = this.#now();
  }

  /** Sweeps now (in the background) and then every `intervalMs`. */
  start(): void {
    if (this.#timer || this.#closed) return;
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.sweep()
        .catch(() => undefined)
        .finally(() => {
          const jitter = 0.9 + Math.random() * 0.2;
          this.#schedule(Math.round(this.#o.intervalMs * jitter));
        });
    }, delayMs);
    this.#timer.unref();
  }

  /** Runs one sweep (joins the one in progress, if any). Throws when MySQL or Redis fail; the timer retries. */
  sweep(): Promise<SweepResult> {
    this.#running ??= this.#sweep()
      .then(
        (r) => {
          if (this.#failing) this.#log.info('orphan sweep recovered');
          this.#failing = false;
          return r;
        },
        (err: unknown) => {
          if (!this.#failing) this.#log.warn({ err }, 'orphan sweep failed; retrying at the next interval');
          this.#failing = true;
          throw err;
        },
      )
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #sweep(): Promise<SweepResult> {
    const self = this.#o.ownership.instanceId;
    const result: SweepResult = { closed: [], deadOwners: [] };
    let settled: boolean | undefined;
    for (const owner of await this.#calls.openCallOwners()) {
      if (this.#closed) break;
      const predecessor = owner === self;
      if (!predecessor) {
        if (await this.#o.ownership.isAlive(owner)) continue;
        settled ??= await this.#o.ownership.leasesSettled();
        if (!settled) {
          this.#log.info({ owner }, 'Redis restarted recently: leases not yet trusted, orphan check postponed');
          continue;
        }
      }
      const closed = await this.#closeOpenCallsOf(owner, predecessor);
      if (closed.length > 0) result.deadOwners.push(owner);
      result.closed.push(...closed);
    }
    if (result.closed.length > 0) {
      this.#log.info({ closed: result.closed.length, owners: result.deadOwners }, 'orphaned calls closed');
    }
    return result;
  }

  /** Walks an owner's open calls page by page and closes the ones no live instance holds. */
  async #closeOpenCallsOf(owner: string, predecessor: boolean): Promise<string[]> {
    const pageSize = this.#o.pageSize ?? 200;
    const closed: string[] = [];
    let afterId: string | undefined;
    for (;;) {
      const page = await this.#calls.openCallsOf(owner, {
        limit: pageSize,
        ...(afterId !== undefined ? { afterId } : {}),
        ...(predecessor ? { createdBefore: this.#startedAt } : {}),
      });
      if (page.length === 0) return closed;
      afterId = page[page.length - 1]?.id;
      const ids = page.map((c) => c.id);
      // A predecessor's owner keys carry this instance's id and may not have expired yet: they prove nothing.
      const held = predecessor ? new Set(this.#o.ownership.ownedCalls()) : await this.#o.ownership.heldCalls(ids);
      for (const call of page) {
        if (this.#closed) return closed;
        if (held.has(call.id)) continue;
        if (await this.#close(call.id, owner, call.route, predecessor)) closed.push(call.id);
      }
      if (page.length < pageSize) return closed;
    }
  }

  async #close(callId: string, owner: string, route: string | null, predecessor: boolean): Promise<boolean> {
    const at = this.#now();
    if (!(await this.#calls.closeOrphaned(callId, owner, at))) return false;
    this.#o.sink.emit(callId, 'call.ended', {
      state: 'failed',
      closeReason: 'orphaned',
      initiator: 'system',
      hangupCause: null,
      hangupCauseTxt: null,
    });
    this.#log.warn(
      { callId, route, ownerInstance: owner, predecessor },
      predecessor
        ? 'call closed as orphaned: it belonged to a previous process of this instance'
        : 'call closed as orphaned: its owner instance is gone',
    );
    this.#o.onClosed?.();
    return true;
  }

  #now(): Date {
    return this.#o.now ? this.#o.now() : new Date();
  }

  /** Stops the timer and waits for a sweep in progress to stop (it stops between two calls). Idempotent. */
  readonly close = onceAsync(async (): Promise<void> => {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  });
}
