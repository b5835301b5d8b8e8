/**
 * Bench-only: a CPU profile of every process of the service, media workers included. Node does not take
 * `--cpu-prof` in NODE_OPTIONS, and the workers are forked with fixed Node flags, so this module is loaded with
 * `NODE_OPTIONS=--import=<this file>` (which forked children inherit through their environment) and profiles the
 * process through the inspector: started at load, written as `<dir>/<pid>-<entry>.cpuprofile` when the process exits.
 * BENCH_CPU_PROF_DIR names the directory. Plain JavaScript: it loads before tsx's loader.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.once('exit', () => {
    // The main thread's inspector session answers synchronously, so the profile is written before the process ends.
    session.post('Profiler.stop', (err, res) => {
      if (err || !res) return;
      mkdirSync(dir, { recursive: true });
      const entry = basename(process.argv[1] ?? 'node').replace(/\.[^.]+$/, '');
      writeFileSync(join(dir, `${process.pid}-${entry}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
