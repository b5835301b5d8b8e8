/**
 * The answering-machine step of outbound calls (`amd.mode: asterisk`), as the shipped
 * `asterisk-conf/extensions.conf` writes it: the answered channel is continued from Stasis into `[ava-amd]`, which
 * runs `AMD()` with per-call values from channel variables (an empty one keeps amd.conf's value) and comes back
 * with `Stasis(${AVA_APP},outbound-amd,${AMDSTATUS},${AMDCAUSE})`.
 */
export const AMD_CONTEXT = 'ava-amd';
/** First Stasis argument of a channel back from `[ava-amd]`; then AMDSTATUS and AMDCAUSE. */
export const AMD_RETURN_ARG = 'outbound-amd';
/** Variable naming the Stasis application the channel returns to. */
export const AMD_APP_VARIABLE = 'AVA_APP';
/** AMD() statuses (`AMDSTATUS`). */
export const AMD_STATUSES = ['HUMAN', 'MACHINE', 'NOTSURE', 'HANGUP'] as const;
export type AmdStatus = (typeof AMD_STATUSES)[number];

/**
 * Variables the `[ava-amd]` AMD() call reads, by AMD() argument position (0-based: initialSilence, greeting,
 * afterGreetingSilence, totalAnalysisTime, minimumWordLength, betweenWordsSilence, maximumNumberOfWords).
 */
export const AMD_ARGUMENT_VARIABLES = [
  { name: 'AVA_AMD_INITIAL_SILENCE', position: 0 },
  { name: 'AVA_AMD_GREETING', position: 1 },
  { name: 'AVA_AMD_AFTER_GREETING_SILENCE', position: 2 },
  { name: 'AVA_AMD_TOTAL_ANALYSIS', position: 3 },
  { name: 'AVA_AMD_MIN_WORD', position: 4 },
  { name: 'AVA_AMD_MAX_WORDS', position: 6 },
] as const;
export type AmdArgumentVariable = (typeof AMD_ARGUMENT_VARIABLES)[number]['name'];
