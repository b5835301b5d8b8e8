import { z } from 'zod';

/**
 * Patterns of the destinations agents may dial with `invite`: an Asterisk endpoint as the invite names it
 * (`PJSIP/alice`, `PJSIP/+4930123@trunk`), where `*` stands for any run of characters (none included). Everything
 * else is literal and case-sensitive, and a pattern matches the whole endpoint: `PJSIP/+4930*@trunk` allows
 * Berlin numbers through the trunk, `PJSIP/*` every PJSIP endpoint, `*` everything.
 */
export const dialablePatternSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(
    /^[A-Za-z0-9+*#._@:;=/-]+$/,
    'a dialable pattern such as PJSIP/alice or PJSIP/+4930*@trunk (endpoint characters and * only)',
  );

export const dialableListSchema = z.array(dialablePatternSchema).max(256);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A matcher for one list of dialable patterns. */
export function compileDialable(patterns: readonly string[]): (endpoint: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`, 's'));
  return (endpoint) => res.some((re) => re.test(endpoint));
}
