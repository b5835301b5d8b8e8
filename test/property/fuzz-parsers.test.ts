import fc from 'fast-check';
import { describe, it } from 'vitest';
import { FUZZ_PROPERTIES } from './fuzz-properties.js';

/**
 * Hostile input at every parser on the process edge: each answers with its typed failure (or a ConfigError for
 * configuration), never with an exception. fast-check shrinks a failure to its smallest input.
 * `scripts/fuzz-long.ts` runs the same properties with many more cases.
 */
describe('bad input at the parsers never throws', () => {
  for (const { name, check, ciRuns } of FUZZ_PROPERTIES) {
    it(`${name} (${ciRuns} cases)`, () => {
      const details = check({ numRuns: ciRuns });
      if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? `${name} failed`);
    }, 60_000);
  }
});
