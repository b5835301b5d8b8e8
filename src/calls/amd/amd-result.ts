import type { AmdMode } from '../../config/amd-config.js';

export const AMD_VERDICTS = ['human', 'machine', 'notsure'] as const;
export type AmdVerdict = (typeof AMD_VERDICTS)[number];

/**
 * Why a verdict was reached. Asterisk's causes (`AMDCAUSE` up to its first `-`): `HUMAN` (a short greeting then
 * silence), `LONGGREETING`, `MAXWORDS`, `MAXWORDLENGTH`, `INITIALSILENCE`, `TOOLONG`, `HANGUP`. The adapter adds `BEEP` (a beep was
 * heard before any other decision) and `NOAUDIO` (no PCM16 caller audio or no VAD to analyse).
 */
export type AmdCause =
  | 'HUMAN'
  | 'LONGGREETING'
  | 'MAXWORDS'
  | 'MAXWORDLENGTH'
  | 'INITIALSILENCE'
  | 'TOOLONG'
  | 'HANGUP'
  | 'BEEP'
  | 'NOAUDIO';

/** The outcome of answering-machine detection on one call: what the agent is told and what is recorded. */
export type AmdResult = {
  readonly mode: AmdMode;
  readonly result: AmdVerdict;
  readonly cause: AmdCause;
  /** Asterisk's `AMDCAUSE` as it came (e.g. `LONGGREETING-1520-1500`), in `asterisk` mode. */
  readonly detail?: string | undefined;
  /** Milliseconds of callee audio from the answer to the decision (adapter mode; undefined for Asterisk's). */
  readonly decisionMs?: number | undefined;
  /** A machine with `machine: message`: whether its beep was heard before the message starts. */
  readonly beep?: boolean | undefined;
  /** Milliseconds of callee audio (from the media start) at which the beep ended. */
  readonly beepEndMs?: number | undefined;
};

/** What Asterisk's `AMD()` reported (`AMDSTATUS`, `AMDCAUSE`), as an AmdResult; unknown values read as notsure. */
export function fromAsteriskAmd(status: string, cause: string): AmdResult {
  const verdict: Record<string, AmdVerdict> = { HUMAN: 'human', MACHINE: 'machine', NOTSURE: 'notsure' };
  const head = cause.split('-')[0] ?? '';
  const known: readonly string[] = ['HUMAN', 'LONGGREETING', 'MAXWORDS', 'MAXWORDLENGTH', 'INITIALSILENCE', 'TOOLONG'];
  return {
    mode: 'asterisk',
    result: verdict[status] ?? 'notsure',
    cause: status === 'HANGUP' ? 'HANGUP' : known.includes(head) ? (head as AmdCause) : 'TOOLONG',
    ...(cause ? { detail: cause } : {}),
  };
}
