/** Dialling a batch of simulated AudioSocket calls with staggered starts (the load generators' child processes). */
import type { SimulatedAudioSocketCall } from '../../src/simulator/audiosocket-dialer.js';

/**
 * Calls `dial` once per UUID, the starts spread evenly over `rampMs` (one call starts at once); resolves when every
 * call connected, rejects with the first that failed.
 */
export async function dialRamped(
  uuids: readonly string[],
  rampMs: number,
  dial: (uuid: string) => Promise<SimulatedAudioSocketCall>,
): Promise<SimulatedAudioSocketCall[]> {
  const step = uuids.length > 1 ? rampMs / uuids.length : 0;
  const t0 = performance.now();
  const dials: Promise<SimulatedAudioSocketCall>[] = [];
  for (const [i, uuid] of uuids.entries()) {
    const wait = t0 + i * step - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    dials.push(dial(uuid));
  }
  return Promise.all(dials);
}
