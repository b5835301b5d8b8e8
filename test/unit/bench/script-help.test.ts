import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScriptArgs } from '../../../bench/lib/script-args.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, args, { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('script argument parsing', () => {
  const options = { quick: { type: 'boolean' }, only: { type: 'string' } } as const;
  it('--help and -h ask for the usage, whatever else is given', () => {
    expect(parseScriptArgs(['--quick', '--help'], options)).toEqual({ kind: 'help' });
    expect(parseScriptArgs(['-h'], options)).toEqual({ kind: 'help' });
  });
  it('an unknown option is an error, not an exception', () => {
    const r = parseScriptArgs(['--bogus'], options);
    expect(r.kind).toBe('error');
    expect(r.kind === 'error' && r.message).toContain("Unknown option '--bogus'");
  });
  it('known options parse', () => {
    const r = parseScriptArgs(['--quick', '--only', 'vad,calls'], options);
    expect(r).toMatchObject({ kind: 'run', values: { quick: true, only: 'vad,calls' }, positionals: [] });
  });
});

describe('bench and soak entry points', () => {
  let resultsBefore: string[] = [];
  let docBefore = '';
  let out = '';
  beforeAll(async () => {
    resultsBefore = (await readdir(join(ROOT, 'bench', 'results'))).sort();
    docBefore = await readFile(join(ROOT, 'docs', 'benchmarks.md'), 'utf8');
    out = await mkdtemp(join(tmpdir(), 'ava-bench-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('bench --help prints the usage and runs nothing', async () => {
    const r = await run(['bench/run.ts', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run bench -- /);
    expect(r.stdout).toContain('--record');
    expect(r.stdout).not.toContain('== ');
  });

  it('bench rejects unknown options and --record on a partial run with one line and exit 2', async () => {
    const bogus = await run(['bench/run.ts', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr.trim().split('\n')).toHaveLength(1);
    const partial = await run(['bench/run.ts', '--quick', '--record']);
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain('--record is for the standard run only');
  });

  it('bench refuses bad calls-search options, and compare a missing base, with one line and exit 2', async () => {
    const series = await run(['bench/run.ts', '--only', 'calls', '--calls-series', 'vad-off,vad-sideways']);
    expect(series.code).toBe(2);
    expect(series.stderr.trim()).toBe(
      'bench: unknown series "vad-sideways" (series: vad-off, vad-on, vad-off-aligned, vad-on-aligned, vad-on-split) (see --help)',
    );
    const env = await run(['bench/run.ts', '--only', 'calls', '--service-env', 'NOVALUE']);
    expect(env.code).toBe(2);
    expect(env.stderr.trim().split('\n')).toHaveLength(1);
    const recorded = await run(['bench/run.ts', '--record', '--calls-steps', '150']);
    expect(recorded.code).toBe(2);
    expect(recorded.stderr).toContain('--record is for the standard run only');
    const counts = await run(['bench/run.ts', '--only', 'media-workers', '--workers-counts', '1,two']);
    expect(counts.code).toBe(2);
    expect(counts.stderr.trim()).toBe(
      'bench: --workers-counts takes whole numbers ≥ 0, comma-separated, not "1,two" (see --help)',
    );
    const recordedWorkers = await run(['bench/run.ts', '--record', '--workers-seconds', '5']);
    expect(recordedWorkers.code).toBe(2);
    expect(recordedWorkers.stderr).toContain('--record is for the standard run only');
    const compare = await run(['bench/compare.ts', '--calls', '150']);
    expect(compare.code).toBe(2);
    expect(compare.stderr.trim()).toBe('bench:compare: give --base REF or --base-dir DIR (one of them) (see --help)');
  });

  it('an unrecorded bench run writes to its --out directory, never to bench/results or docs', async () => {
    const r = await run(['bench/run.ts', '--quick', '--only', 'resampler', '--out', out]);
    expect(r.code).toBe(0);
    const written = await readdir(out);
    expect(written.filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(written.filter((f) => f.endsWith('.md'))).toHaveLength(1);
    expect((await stat(join(out, written[0]!))).size).toBeGreaterThan(0);
    expect((await readdir(join(ROOT, 'bench', 'results'))).sort()).toEqual(resultsBefore);
    expect(await readFile(join(ROOT, 'docs', 'benchmarks.md'), 'utf8')).toBe(docBefore);
  }, 90_000);

  it('soak --help prints the usage; an unknown option is one line with exit 2', async () => {
    const help = await run(['scripts/soak.ts', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run soak -- /);
    const bogus = await run(['scripts/soak.ts', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^soak: Unknown option '--bogus'/);
  });

  it.each([
    ['scripts/check-imports.ts', 'usage: npm run check:imports'],
    ['scripts/fuzz-long.ts', 'usage: npm run fuzz:long'],
    ['scripts/gen-agent-schema.ts', 'usage: npx tsx scripts/gen-agent-schema.ts'],
    ['scripts/gen-config-reference.ts', 'usage: npx tsx scripts/gen-config-reference.ts'],
    ['bench/loadgen.ts', 'Usage: npm run loadgen'],
    ['bench/suites/resampler.ts', 'usage: npx tsx bench/suites/resampler.ts'],
    ['bench/suites/calls.ts', 'usage: npx tsx bench/suites/calls.ts'],
    ['bench/suites/media-workers.ts', 'usage: npx tsx bench/suites/media-workers.ts'],
    ['bench/compare.ts', 'usage: npm run bench:compare -- --base REF'],
  ])('%s --help prints its usage and exits 0', async (script, usage) => {
    const r = await run([script, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(usage)).toBe(true);
  });
});
