/**
 * Nightly-style fuzzing: the bad-input properties of `test/property/fuzz-properties.ts` with many more cases than
 * CI runs (CI: thousands each, inside `npm test`). Prints the seed of each property so a failure can be replayed.
 *
 * `npx tsx scripts/fuzz-long.ts [multiplier=100] [seed]` — each parser property runs `ciRuns × multiplier` cases;
 * then the suites against the running service (fuzzed AudioSocket streams, hostile agents, invite bodies) run through vitest with
 * `FUZZ_MULTIPLIER = multiplier / 10` (they cost a TCP round trip per case).
 * Exits 1 when any property fails (the shrunk counterexample is printed).
 */
import { helpIfAsked } from '../bench/lib/script-args.js';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { FUZZ_PROPERTIES } from '../test/property/fuzz-properties.js';

helpIfAsked(`usage: npm run fuzz:long -- [multiplier=100] [seed]
Runs the bad-input properties with multiplier x the CI cases, then the service fuzz suites through vitest
(FUZZ_MULTIPLIER = multiplier / 10). Prints each property's seed; exit 1 when a property fails.`);

const multiplier = Number(process.argv[2] ?? 100);
const seed = process.argv[3] === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.argv[3]);
if (!Number.isFinite(multiplier) || multiplier <= 0) {
  process.stderr.write('usage: tsx scripts/fuzz-long.ts [multiplier>0] [seed]\n');
  process.exit(2);
}

let failed = 0;
for (const { name, check, ciRuns } of FUZZ_PROPERTIES) {
  const numRuns = Math.round(ciRuns * multiplier);
  const t0 = performance.now();
  const details = check({ numRuns, seed });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (details.failed) {
    failed += 1;
    process.stdout.write(`FAIL ${name}: ${numRuns} cases, seed ${seed}, ${seconds} s\n`);
    process.stdout.write(`${fc.defaultReportMessage(details) ?? ''}\n`);
  } else {
    process.stdout.write(`ok   ${name}: ${details.numRuns} cases, seed ${seed}, ${seconds} s\n`);
  }
}
const serviceMultiplier = Math.max(1, multiplier / 10);
process.stdout.write(`service-level fuzzing, FUZZ_MULTIPLIER=${serviceMultiplier}\n`);
const vitest = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    'test/property/fuzz-audiosocket-server.test.ts',
    'test/property/fuzz-hostile-agent.test.ts',
    'test/property/fuzz-invite.test.ts',
  ],
  { stdio: 'inherit', env: { ...process.env, FUZZ_MULTIPLIER: String(serviceMultiplier) } },
);
if (vitest.status !== 0) failed += 1;
process.exit(failed > 0 ? 1 : 0);
