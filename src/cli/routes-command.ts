import { readFileSync } from 'node:fs';
import { loadConfig, parseRoutesFile } from '../config/load-config.js';
import { ConfigError } from '../errors/config-error.js';

export interface RoutesCheckOptions {
  /** Check the file alone: skip what needs the environment (each `secretEnv` set, secrets long enough). */
  fileOnly: boolean;
  env: Record<string, string | undefined>;
}

/**
 * `ava routes check <file>`: by default the same checks `serve` makes when it loads the file as ROUTES_FILE with the
 * current environment, so a file that passes here is not refused at start; `fileOnly` checks the file alone.
 * Throws a ConfigError (exit 3) naming the file and the JSON path or variable at fault.
 */
export function checkRoutesFile(file: string, options: RoutesCheckOptions): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError([{ variable: 'routes file', message: `cannot read ${file}: ${reason}` }]);
  }
  const routes = options.fileOnly
    ? parseRoutesFile(file, text)
    : loadConfig({ env: { ...options.env, ROUTES_FILE: file }, readFile: () => text }).routes;
  return {
    ok: true,
    checked: options.fileOnly
      ? 'the file only (secretEnv variables were not checked)'
      : 'the file and the environment, as serve loads them',
    routes: routes.map((r) => ({ name: r.name, agent: r.agent.kind, match: r.match })),
  };
}
