/**
 * Load generator: N simulated Asterisk AudioSocket calls against any AudioSocket server, measured from the callers'
 * side (and from the server's /proc entry when its PID is known).
 *
 * `npm run loadgen -- --help` for the CLI; `runLoad(options)` for the library (the `calls` bench suite and the tests
 * use it). Without `--target` it starts the service itself (bench/lib/echo-service.ts) with one route to a native
 * WebSocket echo agent started here, pins the service to core 1 and the generator to core 0 (taskset), and splits
 * latency into uplink (caller → agent) and downlink (agent → caller) on one time base
 * (`performance.timeOrigin + performance.now()`, the same in every process on the machine).
 *
 * `via: 'ari'` (self-started service only): the callers' process also runs the simulated Asterisk
 * (src/simulator/ari/), the service runs in ARI mode against it, and each call is `placeInboundCall({ audio })`:
 * StasisStart → externalMedia AudioSocket → bridge, as with a real Asterisk; the AudioSocket legs are paced by the
 * callers' clock and measured as in raw mode. `agent: 'realtime'`: the service's route goes to the Realtime
 * simulator (started here) with server VAD, whose model answers every caller turn with audio; no latency figures.
 *
 * Every caller sends real speech (test/fixtures/speech) with a 1 kHz 80 ms burst every 2 s, each call at its own
 * burst phase (bench/lib/tone-onsets.ts), and its frames on its own phase of the 20 ms period: the callers' clock
 * has 20 phases 1 ms apart, one timer each (bench/loadgen/phased-clock.ts); `--aligned` puts every call in one. By default the callers run in a child process (bench/loadgen/callers-child.ts),
 * so the generator's two halves — callers, and the echo agent here — get separate event loops.
 *
 * Caller-side figures, over the measured window only (after `--warmup`):
 * - downlink frames/s per call (p50 and minimum over calls) and the gaps between consecutive audio frames;
 * - lost frames: per call, 50/s × the time the call was up in the window (from its first downlink frame to its end)
 *   minus the frames received, less one frame of tolerance for the window edges, never below zero;
 * - duplicated frames: a frame byte-identical to the one before it on the same call, all-zero frames excepted.
 *   The callers' audio carries ±1 LSB of dither, so an echoed stream never repeats a frame by itself; for a server
 *   that sends its own periodic audio (a pure tone) this count is meaningless;
 * - added latency from tone-burst onsets (sent onset → onset seen downstream), ±1 sample after refinement.
 * A run is INVALID when the generator fell behind: its event-loop delay p99 over 10 ms, or over 1 % of its media
 * clock ticks more than one interval late (callers), or the echo agent's event-loop delay p99 over 10 ms.
 *
 * This file is the CLI; the generator lives in bench/loadgen/: callers.ts (the call plan and the simulated Asterisk
 * callers; ari-callers.ts for `via: 'ari'`, callers-child.ts for their child process), agent.ts (the self-started
 * service and its agent), measurement.ts (window figures, latencies, validity), report.ts (the result and its table),
 * run-load.ts (`runLoad`), types.ts (options and result).
 */
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { formatLoad } from './loadgen/report.js';
import { runLoad } from './loadgen/run-load.js';
import { type LoadAgent, type LoadOptions, REALTIME_ANSWER_MS } from './loadgen/types.js';
import { scriptArgs } from './lib/script-args.js';
import { parseServiceEnv, servicePinning } from './lib/service-process.js';

export { formatLoad } from './loadgen/report.js';
export { runLoad } from './loadgen/run-load.js';
export type { LatencyStats, LoadAgent, LoadOptions, LoadResult } from './loadgen/types.js';
export { REALTIME_ANSWER_MS } from './loadgen/types.js';

const HELP = `Usage: npm run loadgen -- [options]

Dials simulated Asterisk AudioSocket calls (real speech with 1 kHz tone bursts) and measures them from the callers'
side. Without --target it starts the service itself with a native WebSocket echo agent.

  --target host:port   any AudioSocket server (e.g. another vendor's echo server); default: start ours
  --server-pid PID     with --target: read that server's CPU and RSS from /proc
  --calls N            concurrent calls (default 100)
  --rate R             instead of --calls: R call arrivals per second
  --duration S         mean call duration, s (default: whole run; with --rate 30)
  --jitter F           uniform jitter of the duration, fraction (default 0.2)
  --seconds S          measured window, s (default 15)
  --warmup S           load before the window, s (default max(3, 1 + ramp))
  --ramp S             --calls: spread the starts over S s (default N/50)
  --kind 0x10|0x12     slin 8 kHz (default) or slin16
  --phases N           spread the calls' frames over N phases of the 20 ms period, uniformly (1-20, default 20:
                       1 ms apart, as independent Asterisk channels send)
  --aligned            every call sends in the same phase (--phases 1): the worst case
  --vad                self-started service: VAD on (silero)
  --via MODE           self-started service: audiosocket (default, dialplan-direct AudioSocket) or ari (a simulated
                       Asterisk in the callers' process, the service in ARI mode: StasisStart, externalMedia
                       AudioSocket, bridge; same caller-side figures)
  --agent MODE         self-started service's agent: echo (default), speaker, burst, parrot (latency needs echo), or
                       realtime (the Realtime simulator; its server VAD ends each caller turn and the model answers it
                       with ${REALTIME_ANSWER_MS} ms of audio; frame figures and answer counts, no latency)
  --inline             run the callers in this process (default: a child process)
  --no-pin             do not pin with taskset (default: service core 1, generator core 0)
  --pinning MODE       self-started service: one-core (default; all its threads on core 1) or main-thread (its event
                       loop on core 1, its other threads - VAD worker, V8 helpers - on core 0 with the generator)
  --service-env K=V    self-started service: an extra environment variable (repeatable), e.g. a knob under test
  --service-root DIR   self-started service: start the one of this checkout of the project (npm ci done there),
                       e.g. an older commit in a git worktree; the generator stays this one
  --json FILE          also write the figures as JSON
  --help`;

async function main(): Promise<void> {
  const { values } = scriptArgs('loadgen', HELP, {
    target: { type: 'string' },
    'server-pid': { type: 'string' },
    calls: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    jitter: { type: 'string' },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string' },
    ramp: { type: 'string' },
    kind: { type: 'string', default: '0x10' },
    phases: { type: 'string' },
    aligned: { type: 'boolean', default: false },
    pinning: { type: 'string' },
    'service-env': { type: 'string', multiple: true },
    'service-root': { type: 'string' },
    vad: { type: 'boolean', default: false },
    agent: { type: 'string' },
    via: { type: 'string' },
    inline: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    json: { type: 'string' },
  });
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  const kind = Number(values.kind);
  if (kind !== 0x10 && kind !== 0x12) throw new Error(`--kind must be 0x10 or 0x12, not ${values.kind}`);
  let target: LoadOptions['target'];
  if (values.target) {
    const at = values.target.lastIndexOf(':');
    target = { host: values.target.slice(0, at) || '127.0.0.1', port: Number(values.target.slice(at + 1)) };
  }
  const agents: readonly LoadAgent[] = ['echo', 'speaker', 'burst', 'parrot', 'realtime'];
  const agent = values.agent as LoadAgent | undefined;
  if (agent !== undefined && !agents.includes(agent)) throw new Error(`--agent must be one of ${agents.join(', ')}`);
  const via = values.via as LoadOptions['via'];
  if (via !== undefined && via !== 'audiosocket' && via !== 'ari') throw new Error('--via must be audiosocket or ari');
  if (values.aligned && values.phases !== undefined && Number(values.phases) !== 1)
    throw new Error('--aligned is --phases 1; give one of them');
  const phases = values.aligned ? 1 : num(values.phases);
  const pinning = values.pinning === undefined ? undefined : servicePinning(values.pinning, '--pinning');
  const serviceEnv = values['service-env'] ? parseServiceEnv(values['service-env']) : undefined;
  const opt = <K extends keyof LoadOptions>(key: K, value: LoadOptions[K] | undefined) =>
    value === undefined ? {} : { [key]: value };
  const result = await runLoad({
    seconds: Number(values.seconds),
    kind,
    vad: values.vad,
    inline: values.inline,
    pin: !values['no-pin'],
    ...opt('target', target),
    ...opt('agent', agent),
    ...opt('via', via),
    ...opt('serverPid', num(values['server-pid'])),
    ...opt('calls', num(values.calls)),
    ...opt('rate', num(values.rate)),
    ...opt('durationS', num(values.duration)),
    ...opt('jitter', num(values.jitter)),
    ...opt('warmupS', num(values.warmup)),
    ...opt('rampS', num(values.ramp)),
    ...opt('phases', phases),
    ...opt('pinning', pinning),
    ...opt('serviceEnv', serviceEnv),
    ...opt('serviceRoot', values['service-root']),
  });
  process.stdout.write(`${formatLoad(result)}\n`);
  if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
