import { ENV_VARS } from '../config/env-vars.js';

/** The configuration reference as a markdown table, generated from the env-var table (the one source). */
export function configReferenceMarkdown(): string {
  const rows = Object.entries(ENV_VARS).map(([name, spec]) => {
    const def = 'default' in spec && spec.default !== undefined ? `\`${spec.default}\`` : '—';
    const secret = 'secret' in spec && spec.secret ? ' (secret)' : '';
    return `| \`${name}\` | ${def} | ${spec.description.replace(/\|/g, '\\|')}${secret} |`;
  });
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

export const CONFIG_REFERENCE_START = '<!-- config-reference:start -->';
export const CONFIG_REFERENCE_END = '<!-- config-reference:end -->';

/** The document with the text between the config-reference markers replaced by `table`. */
export function withConfigReference(doc: string, table: string): string {
  const start = doc.indexOf(CONFIG_REFERENCE_START);
  const end = doc.indexOf(CONFIG_REFERENCE_END);
  if (start < 0 || end < start) throw new Error('config-reference markers not found');
  return `${doc.slice(0, start + CONFIG_REFERENCE_START.length)}\n${table}\n${doc.slice(end)}`;
}
