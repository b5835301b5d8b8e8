/** Rewrites the configuration table in README.md from the env-var schema (`npx tsx scripts/gen-config-reference.ts`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReferenceMarkdown, withConfigReference } from '../src/cli/config-command.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
writeFileSync(readme, withConfigReference(readFileSync(readme, 'utf8'), configReferenceMarkdown()));
console.log('README.md configuration table regenerated');
