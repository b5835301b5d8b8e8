import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The worker thread starts in each way the service runs: compiled to JavaScript under plain node (no loader),
 * and from TypeScript source under the tsx CLI (the vitest case is every other VAD engine test).
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A driver that imports the VAD module given as argv[2], scores 10 windows of silence and prints a summary. */
const DRIVER = `
const { VadEngine } = await import(process.argv[2]);
const engine = await VadEngine.start();
const stream = engine.createStream({ sampleRate: 8000 });
const probabilities = [];
await new Promise((resolve) => {
  stream.on('probability', (p) => {
    probabilities.push(p.probability);
    if (probabilities.length === 10) resolve();
  });
  stream.push(new Int16Array(2560));
});
stream.close();
const stats = engine.stats();
await engine.close();
console.log(JSON.stringify({ probabilities, jobs: stats.jobs, restarts: stats.workerRestarts, execArgv: process.execArgv }));
`;

interface Summary {
  probabilities: number[];
  jobs: number;
  restarts: number;
  execArgv: string[];
}

function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'vad-entry-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function checkSummary(stdout: string): Summary {
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) as string) as Summary;
  expect(summary.probabilities).toHaveLength(10);
  for (const p of summary.probabilities) expect(p).toBeLessThan(0.2);
  expect(summary.jobs).toBeGreaterThan(0);
  expect(summary.restarts).toBe(0);
  return summary;
}

describe('VAD worker entry', () => {
  it('runs compiled to JavaScript under plain node', { timeout: 180_000 }, async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'dist');
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      await run(
        process.execPath,
        [
          tsc,
          ...[
            '--outDir',
            out,
            '--rootDir',
            join(ROOT, 'src'),
            '--module',
            'nodenext',
            '--moduleResolution',
            'nodenext',
          ],
          ...['--target', 'es2022', '--types', 'node', '--skipLibCheck', '--strict'],
          // As in the build (tsconfig.build.json compiles all of src/): the worker is loaded by URL, not imported.
          join(ROOT, 'src/calls/vad/index.ts'),
          join(ROOT, 'src/calls/vad/vad-worker.ts'),
        ],
        { cwd: ROOT, timeout: 150_000 },
      );
      expect(existsSync(join(out, 'calls/vad/vad-worker.js'))).toBe(true);
      expect(existsSync(join(out, 'calls/vad/vad-worker.ts'))).toBe(false);
      // ESM scope and package resolution for the compiled files.
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      writeFileSync(join(dir, 'driver.mjs'), DRIVER);
      const entry = pathToFileURL(join(out, 'calls/vad/index.js')).href;
      const { stdout } = await run(process.execPath, [join(dir, 'driver.mjs'), entry], {
        cwd: dir,
        timeout: 60_000,
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      const summary = checkSummary(stdout);
      expect(summary.execArgv).toEqual([]);
    });
  });

  it('runs from TypeScript source under the tsx CLI', { timeout: 120_000 }, async () => {
    await withTempDir(async (dir) => {
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      writeFileSync(join(dir, 'driver.mjs'), DRIVER);
      const tsxCli = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
      const entry = pathToFileURL(join(ROOT, 'src/calls/vad/index.ts')).href;
      const { stdout } = await run(process.execPath, [tsxCli, join(dir, 'driver.mjs'), entry], {
        cwd: ROOT,
        timeout: 90_000,
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      const summary = checkSummary(stdout);
      expect(summary.execArgv.join(' ')).toContain('tsx');
    });
  });
});
