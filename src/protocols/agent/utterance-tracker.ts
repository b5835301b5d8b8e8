/**
 * Which utterance (playId) each binary frame from an agent belongs to, by the rules of docs/agent-protocol.md §5–6:
 * - frames between `audio.start {playId}` and `audio.end {playId}` belong to that playId;
 * - a frame outside any bracket opens an automatic utterance (`auto-1`, `auto-2`, …), which ends at the next
 *   `audio.start` or when the playout buffer runs dry (`drained()`);
 * - after an interruption of a bracketed utterance, its frames are discarded until its `audio.end` (or the next
 *   `audio.start`); an interrupted automatic utterance simply ends.
 * Pure bookkeeping, one per call; it holds no audio.
 */

/** What to do with one binary frame. */
export type FrameAssignment =
  | {
      readonly action: 'play';
      readonly playId: string;
      /** True for the first frame of an utterance. */
      readonly opened: boolean;
      readonly automatic: boolean;
      readonly protected: boolean;
    }
  | { readonly action: 'discard'; readonly playId: string };

export interface UtteranceStartResult {
  /** An utterance that was still open and is now ended implicitly (no `audio.end` came for it). */
  readonly implicitlyEnded: string | undefined;
}

export type UtteranceEndResult =
  | { readonly ok: true; readonly interrupted: boolean }
  /** `audio.end` named a playId that is not the open utterance. */
  | { readonly ok: false; readonly open: string | undefined };

interface OpenUtterance {
  readonly playId: string;
  readonly automatic: boolean;
  readonly protected: boolean;
  started: boolean;
  interrupted: boolean;
}

export class AgentUtteranceTracker {
  readonly #prefix: string;
  #open: OpenUtterance | undefined;
  #autoCounter = 0;

  constructor(options: { automaticPrefix?: string } = {}) {
    this.#prefix = options.automaticPrefix ?? 'auto-';
  }

  /** The utterance frames currently go to, if any. */
  get current(): { readonly playId: string; readonly automatic: boolean; readonly interrupted: boolean } | undefined {
    const u = this.#open;
    return u === undefined ? undefined : { playId: u.playId, automatic: u.automatic, interrupted: u.interrupted };
  }

  /** `audio.start {playId, protected}`. */
  start(playId: string, isProtected = false): UtteranceStartResult {
    const implicitlyEnded = this.#open?.playId;
    this.#open = { playId, automatic: false, protected: isProtected, started: false, interrupted: false };
    return { implicitlyEnded };
  }

  /** `audio.end {playId}`. */
  end(playId: string): UtteranceEndResult {
    const open = this.#open;
    if (open === undefined || open.playId !== playId) return { ok: false, open: open?.playId };
    this.#open = undefined;
    return { ok: true, interrupted: open.interrupted };
  }

  /** Assigns one binary frame. */
  frame(): FrameAssignment {
    let open = this.#open;
    if (open === undefined) {
      this.#autoCounter += 1;
      open = {
        playId: `${this.#prefix}${this.#autoCounter}`,
        automatic: true,
        protected: false,
        started: false,
        interrupted: false,
      };
      this.#open = open;
    }
    if (open.interrupted) return { action: 'discard', playId: open.playId };
    const opened = !open.started;
    open.started = true;
    return { action: 'play', playId: open.playId, opened, automatic: open.automatic, protected: open.protected };
  }

  /** The adapter cut `playId` (barge-in or `interrupt`). */
  interrupted(playId: string): void {
    const open = this.#open;
    if (open === undefined || open.playId !== playId) return;
    if (open.automatic) this.#open = undefined;
    else open.interrupted = true;
  }

  /** The playout buffer ran dry: an open automatic utterance ends. Returns its playId. */
  drained(): string | undefined {
    const open = this.#open;
    if (open === undefined || !open.automatic) return undefined;
    this.#open = undefined;
    return open.playId;
  }
}
