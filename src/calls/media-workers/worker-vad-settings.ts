import type { Config } from '../../config/load-config.js';

/**
 * The VAD settings of a media worker: as the service's, except that VAD_WORKER_CPUS=auto places nothing. `auto`
 * keeps one process's event loop off the CPU its VAD thread gets; in N workers it would pin every worker's event
 * loop to the same CPUs (all but the last), so a worker leaves its threads to the scheduler and its VAD thread runs
 * at its own priority (VAD_WORKER_PRIORITY). An explicit CPU list still applies.
 */
export function workerVadSettings(vad: Config['vad']): Config['vad'] {
  return vad.workerCpus === 'auto' ? { ...vad, workerCpus: 'off' } : vad;
}
