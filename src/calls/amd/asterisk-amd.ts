import type { AmdOptions, AmdSettings } from '../../config/amd-config.js';
import {
  AMD_APP_VARIABLE,
  AMD_CONTEXT,
  AMD_RETURN_ARG,
  type AmdArgumentVariable,
} from '../../protocols/ari/amd-dialplan.js';

export { AMD_CONTEXT, AMD_RETURN_ARG };

/** Which AMD option each `[ava-amd]` variable carries. */
const OPTION_OF: Record<AmdArgumentVariable, keyof AmdOptions> = {
  AVA_AMD_INITIAL_SILENCE: 'initialSilenceMs',
  AVA_AMD_GREETING: 'greetingMs',
  AVA_AMD_AFTER_GREETING_SILENCE: 'afterGreetingSilenceMs',
  AVA_AMD_TOTAL_ANALYSIS: 'totalAnalysisMs',
  AVA_AMD_MIN_WORD: 'minWordMs',
  AVA_AMD_MAX_WORDS: 'maxWords',
};

/**
 * The channel variables an `asterisk`-mode originate sets: the Stasis application to return to, and the AMD()
 * values the route or the request set explicitly (the others stay unset, so AMD() keeps amd.conf's). None for
 * other calls.
 */
export function amdDialplanVariables(amd: AmdSettings | undefined, app: string): Record<string, string> {
  if (amd?.mode !== 'asterisk') return {};
  const vars: Record<string, string> = { [AMD_APP_VARIABLE]: app };
  const explicit = amd.explicit ?? {};
  for (const [name, option] of Object.entries(OPTION_OF)) {
    const v = explicit[option];
    if (typeof v === 'number') vars[name] = String(v);
  }
  return vars;
}
