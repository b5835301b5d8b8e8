export interface IdleWatchdogOptions {
  timeoutMs: number;
  /** Called once when nothing was touched for `timeoutMs`, with how long it has been. */
  onIdle: (idleMs: number) => void;
  /** Monotonic milliseconds; `performance.now` by default. */
  now?: () => number;
}

/**
 * Inactivity timer that costs nothing per event: `touch()` only stores a time; the (unref'd) timer fires at most once
 * per `timeoutMs` and re-arms for the remainder. Before reporting idleness it lets the event loop poll I/O once,
 * because timers run before sockets are read: after a stall, activity may be waiting unread.
 */
export class IdleWatchdog {
  readonly #timeoutMs: number;
  readonly #onIdle: (idleMs: number) => void;
  readonly #now: () => number;
  #last: number;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #running = false;
  #closed = false;

  constructor(options: IdleWatchdogOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#onIdle = options.onIdle;
    this.#now = options.now ?? (() => performance.now());
    this.#last = this.#now();
  }

  start(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    this.#last = this.#now();
    this.#arm(this.#timeoutMs);
  }

  /** Records activity now. */
  touch(): void {
    this.#last = this.#now();
  }

  /** Stops watching for good; `start()` does nothing afterwards. Idempotent; resolves at once. */
  close(): Promise<void> {
    this.#closed = true;
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    return Promise.resolve();
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(this.#onTimer, Math.max(1, ms));
    this.#timer.unref();
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (!this.#running) return;
    const idle = this.#now() - this.#last;
    if (idle < this.#timeoutMs) this.#arm(this.#timeoutMs - idle);
    else this.#immediate = setImmediate(this.#confirm);
  };

  readonly #confirm = (): void => {
    this.#immediate = undefined;
    if (!this.#running) return;
    const idle = this.#now() - this.#last;
    if (idle < this.#timeoutMs) {
      this.#arm(this.#timeoutMs - idle);
      return;
    }
    this.#running = false;
    this.#onIdle(idle);
  };
}
