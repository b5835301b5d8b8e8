import { z } from 'zod';

/**
 * Answering-machine detection (AMD) on outbound calls: the settings a route gives by default and an originate may
 * override field by field. `mode` picks who classifies: Asterisk's `AMD()` in the `ava-amd` dialplan context before
 * the call enters Stasis (`asterisk`), or the adapter from the first seconds of callee audio (`adapter`).
 * Defaults are stated on each field and in `AMD_DEFAULTS`.
 */
export const AMD_MODES = ['asterisk', 'adapter'] as const;
export type AmdMode = (typeof AMD_MODES)[number];

/** What a machine gets: hung up at once, or a message the agent speaks after the beep. */
export const AMD_MACHINE_ACTIONS = ['hangup', 'message'] as const;
export type AmdMachineAction = (typeof AMD_MACHINE_ACTIONS)[number];

const ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** Every field optional: a route's `amd`, merged under an originate's `amd`. */
export const amdOptionsSchema = z
  .object({
    mode: z.enum(AMD_MODES).optional(),
    /** What a `machine` result gets. Default `hangup`. */
    machine: z.enum(AMD_MACHINE_ACTIONS).optional(),
    /** Longest analysis before the result is `notsure` (`TOOLONG`). Default 5000 ms. */
    totalAnalysisMs: ms(1000, 30_000).optional(),
    /** No speech this long from the answer: `notsure` (`INITIALSILENCE`) in adapter mode. Default 2500 ms. */
    initialSilenceMs: ms(300, 30_000).optional(),
    /** Speech in the greeting longer than this is a machine (`LONGGREETING`). Default 1500 ms. */
    greetingMs: ms(300, 30_000).optional(),
    /** Silence after a short greeting that makes it a human (`HUMAN`). Default 800 ms. */
    afterGreetingSilenceMs: ms(100, 10_000).optional(),
    /** This many words in the greeting is a machine (`MAXWORDS`). Default 4 (Asterisk's amd.conf default is 3). */
    maxWords: z.number().int().min(1).max(50).optional(),
    /** Shortest voiced stretch counted as a word. Default 100 ms. */
    minWordMs: ms(20, 2000).optional(),
    /** `machine: message`: longest wait for the beep (callee audio from the media start) before the message starts anyway. Default 20000 ms. */
    beepWaitMs: ms(0, 120_000).optional(),
  })
  .strict();

/** An originate's `amd`: `mode` is required there. */
export const originateAmdSchema = amdOptionsSchema.required({ mode: true });

export type AmdOptions = z.output<typeof amdOptionsSchema>;

/** AMD settings with every default filled. */
export interface AmdSettings {
  readonly mode: AmdMode;
  readonly machine: AmdMachineAction;
  readonly totalAnalysisMs: number;
  readonly initialSilenceMs: number;
  readonly greetingMs: number;
  readonly afterGreetingSilenceMs: number;
  readonly maxWords: number;
  readonly minWordMs: number;
  readonly beepWaitMs: number;
  /** The options the route or the originate set (not defaulted): `asterisk` mode passes only these to AMD(). */
  readonly explicit?: Readonly<AmdOptions> | undefined;
}

export const AMD_DEFAULTS: Omit<AmdSettings, 'mode'> = Object.freeze({
  machine: 'hangup',
  totalAnalysisMs: 5000,
  initialSilenceMs: 2500,
  greetingMs: 1500,
  afterGreetingSilenceMs: 800,
  maxWords: 4,
  minWordMs: 100,
  beepWaitMs: 20_000,
});

/**
 * The AMD settings of one outbound call: the originate's fields over the route's over the defaults. Undefined when
 * neither asks for AMD (no `mode` anywhere).
 */
export function resolveAmdSettings(
  route: AmdOptions | undefined,
  originate: AmdOptions | undefined,
): AmdSettings | undefined {
  const merged = { ...route, ...originate };
  const mode = merged.mode;
  if (mode === undefined) return undefined;
  const defined = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...AMD_DEFAULTS, ...defined, mode, explicit: Object.freeze(defined) }) as AmdSettings;
}
