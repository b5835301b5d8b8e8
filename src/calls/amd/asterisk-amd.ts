import type { AmdSettings } from '../../config/amd-config.js';

/**
 * The `amd.mode: asterisk` step as the shipped `asterisk-conf/extensions.conf` writes it: an answered outbound
 * channel is continued from Stasis into `[ava-amd]`, which runs `AMD()` with the per-call values below (an empty
 * one keeps amd.conf's) and returns with `Stasis(${AVA_APP},outbound-amd,${AMDSTATUS},${AMDCAUSE})`.
 */
export const AMD_CONTEXT = 'ava-amd';
/** First Stasis argument of a channel back from `[ava-amd]`. */
export const AMD_RETURN_ARG = 'outbound-amd';

/**
 * Channel variables the `[ava-amd]` context reads, in AMD()'s argument order: an option the call did not set
 * explicitly is left empty, so AMD() keeps the amd.conf value. `AVA_APP` names the Stasis application to return to.
 */
export const AMD_DIALPLAN_VARIABLES = [
  ['AVA_AMD_INITIAL_SILENCE', 'initialSilenceMs'],
  ['AVA_AMD_GREETING', 'greetingMs'],
  ['AVA_AMD_AFTER_GREETING_SILENCE', 'afterGreetingSilenceMs'],
  ['AVA_AMD_TOTAL_ANALYSIS', 'totalAnalysisMs'],
  ['AVA_AMD_MIN_WORD', 'minWordMs'],
  ['AVA_AMD_MAX_WORDS', 'maxWords'],
] as const;

/** The variables an `asterisk`-mode originate sets; none for other calls. */
export function amdDialplanVariables(amd: AmdSettings | undefined, app: string): Record<string, string> {
  if (amd?.mode !== 'asterisk') return {};
  const vars: Record<string, string> = { AVA_APP: app };
  const explicit = amd.explicit ?? {};
  for (const [name, field] of AMD_DIALPLAN_VARIABLES) {
    const v = explicit[field];
    if (v !== undefined) vars[name] = String(v);
  }
  return vars;
}
