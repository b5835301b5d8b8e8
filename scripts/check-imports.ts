/**
 * Enforces DESIGN §2: imports between src/ layers flow one way (rules in import-rules.ts), src/app.ts imports calls/
 * only through its entry points, no module import cycle exists, and no file is over 400 lines without a reason.
 * Exit code 1 with one line per violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { helpIfAsked } from '../bench/lib/script-args.js';
import { fileSizeViolation, importViolation } from './import-rules.js';

helpIfAsked(`usage: npm run check:imports (npx tsx scripts/check-imports.ts)
Checks the layer rules of src/ (DESIGN section 2), that src/app.ts imports calls/ only through its index.ts entry
points, that no import cycle exists, and that no file is over 400 lines without a "// Over 400 lines: <why>" first
line; exit 1 with one line per violation.`);

const ROOT = resolve(import.meta.dirname, '..', 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** A file's path relative to src/, `/`-separated. */
function relOf(file: string): string {
  return relative(ROOT, file).split(sep).join('/');
}

/** `import … from`, `export … from`, `import(…)` and side-effect `import '…'`. */
const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

const files = walk(ROOT);
const graph = new Map<string, string[]>();
const violations: string[] = [];

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const tooLong = fileSizeViolation(relOf(file), text);
  if (tooLong) violations.push(tooLong);
  const deps: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec || !spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    if (!target.startsWith(ROOT)) {
      violations.push(`${relative(ROOT, file)}: imports outside src/: ${spec}`);
      continue;
    }
    deps.push(target);
    const violation = importViolation(relOf(file), relOf(target), spec);
    if (violation) violations.push(violation);
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
