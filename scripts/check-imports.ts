/**
 * Enforces DESIGN §2: imports between src/ layers flow one way, and no module import cycle exists.
 * Exit code 1 with one line per violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { helpIfAsked } from '../bench/lib/script-args.js';

helpIfAsked(`usage: npm run check:imports (npx tsx scripts/check-imports.ts)
Checks the layer rules of src/ (DESIGN section 2) and that no import cycle exists; exit 1 with one line per violation.`);

const ROOT = resolve(import.meta.dirname, '..', 'src');

/** Which layers each layer may import (its own layer is always allowed). Top-level files may import anything. */
const BASE = ['lib', 'errors'];
const ALLOWED: Record<string, string[]> = {
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

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file: string): string {
  const rel = relative(ROOT, file).split(sep);
  return rel.length === 1 ? '.' : (rel[0] as string);
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const files = walk(ROOT);
const graph = new Map<string, string[]>();
const violations: string[] = [];

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const deps: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    if (!spec || !spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    if (!target.startsWith(ROOT)) {
      violations.push(`${relative(ROOT, file)}: imports outside src/: ${spec}`);
      continue;
    }
    deps.push(target);
    const from = layerOf(file);
    const to = layerOf(target);
    if (from === to || from === '.') continue;
    const allowed = ALLOWED[from];
    if (!allowed) violations.push(`${relative(ROOT, file)}: unknown layer "${from}"`);
    else if (!allowed.includes(to))
      violations.push(`src/${relative(ROOT, file)}: layer ${from}/ may not import ${to}/ (${spec})`);
  }
  graph.set(file, deps);
}

// Cycle detection (iterative DFS with colours).
const colour = new Map<string, 0 | 1 | 2>();
const reported = new Set<string>();
for (const start of files) {
  if (colour.get(start)) continue;
  const stack: { node: string; i: number }[] = [{ node: start, i: 0 }];
  const path: string[] = [start];
  colour.set(start, 1);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const deps = graph.get(top.node) ?? [];
    if (top.i >= deps.length) {
      colour.set(top.node, 2);
      stack.pop();
      path.pop();
      continue;
    }
    const next = deps[top.i++]!;
    const c = colour.get(next) ?? 0;
    if (c === 1) {
      const cycle = [...path.slice(path.indexOf(next)), next].map((f) => relative(ROOT, f));
      const key = [...cycle].sort().join('|');
      if (!reported.has(key)) {
        reported.add(key);
        violations.push(`import cycle: ${cycle.join(' -> ')}`);
      }
    } else if (c === 0 && graph.has(next)) {
      colour.set(next, 1);
      stack.push({ node: next, i: 0 });
      path.push(next);
    }
  }
}

if (violations.length > 0) {
  for (const v of violations) console.error(v);
  console.error(`check-imports: ${violations.length} violation(s)`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, layers respected, no cycles`);
