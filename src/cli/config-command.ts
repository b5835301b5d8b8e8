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
