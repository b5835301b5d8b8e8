import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReferenceMarkdown, withConfigReference } from '../../../src/cli/config-command.js';
import { ENV_VARS } from '../../../src/config/env-vars.js';

describe('configuration reference', () => {
  it('lists every environment variable with its default', () => {
    const table = configReferenceMarkdown();
    for (const [name, spec] of Object.entries(ENV_VARS)) {
      expect(table).toContain(`| \`${name}\` |`);
      if ('default' in spec && spec.default !== undefined) expect(table).toContain(`\`${spec.default}\``);
    }
  });

  it('is current in README.md (regenerate with npx tsx scripts/gen-config-reference.ts)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(withConfigReference(readme, configReferenceMarkdown())).toBe(readme);
  });
});
