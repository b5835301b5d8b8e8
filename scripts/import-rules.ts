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

/** A source file longer than this needs a one-line reason at its top (DESIGN §6.10). */
export const MAX_FILE_LINES = 400;

/** The reason line a long file starts with. */
const LONG_FILE_REASON = /^\/\/ Over 400 lines\b.*\S.*/;

/** Why `rel` (relative to src/) breaks the file-size rule, or undefined when it does not. */
export function fileSizeViolation(rel: string, text: string): string | undefined {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length <= MAX_FILE_LINES) return undefined;
  if (LONG_FILE_REASON.test(lines[0] ?? '')) return undefined;
  return `src/${rel}: ${lines.length} lines; split it, or start it with "// Over 400 lines: <why>"`;
}
