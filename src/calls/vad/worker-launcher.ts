import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread from an ES module entry that is either compiled JavaScript (`.js`, as in `dist/`) or
 * TypeScript source (`.ts`, when the service runs under tsx or vitest). A `.js` entry starts directly. A `.ts`
 * entry starts through a `data:` module that first registers tsx's ESM loader (`tsx/esm/api`, resolved from the
 * installed package), then imports the entry, so the worker needs no loader flags from its parent. The parent's
 * `execArgv` is not inherited in that case (unless given), so a loader the parent already runs under is not
 * registered twice.
 */
export function startModuleWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  if (entry.protocol !== 'file:') throw new TypeError(`worker entry must be a file: URL, got ${entry.href}`);
  if (!fileURLToPath(entry).endsWith('.ts')) return new Worker(entry, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const source = [
    `const { register } = await import(${JSON.stringify(tsxApi)});`,
    'register();',
    `await import(${JSON.stringify(entry.href)});`,
  ].join('\n');
  const bootstrap = new URL(`data:text/javascript,${encodeURIComponent(source)}`);
  return new Worker(bootstrap, { ...options, execArgv: options.execArgv ?? [] });
}

/**
 * The URL of a sibling module of `base` named `stem`, with the extension `base` itself has (`.ts` from source,
 * `.js` once compiled), so one call site finds the worker in both layouts.
 */
export function siblingModuleUrl(base: string, stem: string): URL {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${stem}${ext}`, base);
}
