/**
 * The import rules of src/ (DESIGN section 2) as pure functions of paths relative to src/ (`/`-separated), so that
 * scripts/check-imports.ts applies them and tests can feed them fake imports.
 */

/** Which layers each layer may import (its own layer is always allowed). Top-level files may import anything. */
const BASE = ['lib', 'errors'];
export const ALLOWED: Record<string, string[]> = {
  lib: [],
  errors: ['lib'],
  config: [...BASE],
  observability: [...BASE, 'config'],
  audio: [...BASE],
  protocols: [...BASE, 'audio'],
  transports: [...BASE, 'config', 'observability', 'audio', 'protocols'],
  db: [...BASE, 'config', 'observability'],
  calls: [...BASE, 'config', 'observability', 'audio', 'protocols', 'transports'],
  jobs: [...BASE, 'config', 'observability', 'audio', 'protocols', 'calls', 'db'],
  http: [...BASE, 'config', 'observability', 'audio', 'protocols', 'calls', 'jobs', 'db'],
  simulator: [...BASE, 'config', 'observability', 'audio', 'protocols', 'transports'],
  cli: [
    ...BASE,
    'config',
    'observability',
    'audio',
    'protocols',
    'transports',
    'calls',
    'jobs',
    'db',
    'http',
    'simulator',
    '.',
  ],
};

/** The layer of a file: its first folder under src/, or `.` for top-level files. */
export function layerOf(rel: string): string {
  const parts = rel.split('/');
  return parts.length === 1 ? '.' : (parts[0] as string);
}

/** The composition root, which may import calls/ only through its entry points. */
export const COMPOSITION_ROOT = 'app.ts';

/** An entry point of calls/: the `index.ts` of calls/ or of one of its folders. */
export function isCallsEntryPoint(rel: string): boolean {
  return layerOf(rel) === 'calls' && rel.endsWith('/index.ts');
}

/**
 * What is wrong with `from` (a file under src/) importing `target` (`spec` as written), or undefined when the
 * import is allowed: layers import only the layers below them, and the composition root imports no module
 * internals of calls/.
 */
export function importViolation(from: string, target: string, spec: string): string | undefined {
  const fromLayer = layerOf(from);
  const toLayer = layerOf(target);
  if (from === COMPOSITION_ROOT && toLayer === 'calls' && !isCallsEntryPoint(target))
    return `src/${from}: imports a module internal of calls/ (${spec}); import it through an index.ts of calls/`;
  if (fromLayer === toLayer || fromLayer === '.') return undefined;
  const allowed = ALLOWED[fromLayer];
  if (!allowed) return `src/${from}: unknown layer "${fromLayer}"`;
  if (!allowed.includes(toLayer)) return `src/${from}: layer ${fromLayer}/ may not import ${toLayer}/ (${spec})`;
  return undefined;
}
