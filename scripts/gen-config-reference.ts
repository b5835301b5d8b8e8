/** Rewrites the configuration table in README.md from the env-var schema (`npx tsx scripts/gen-config-reference.ts`). */
import { helpIfAsked } from '../bench/lib/script-args.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReferenceMarkdown, withConfigReference } from '../src/cli/config-command.js';

helpIfAsked(`usage: npx tsx scripts/gen-config-reference.ts
Rewrites the configuration table in README.md from the environment-variable schema (a unit test checks it is current).`);

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
writeFileSync(readme, withConfigReference(readFileSync(readme, 'utf8'), configReferenceMarkdown()));
console.log('README.md configuration table regenerated');
