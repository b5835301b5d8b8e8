import type { Logger } from '../observability/logger.js';
import type { CallRegistry } from './call-registry.js';
import type { CallSession } from './call-session.js';

/**
 * Lets the live calls finish until `deadlineMs` passes, then hangs up the rest with reason `shutdown`. Returns the ids
 * of the calls that were live or started meanwhile (all of them ended by then).
 */
export async function drainCalls(registry: CallRegistry, deadlineMs: number, logger: Logger): Promise<Set<string>> {
  const ended = new Set(registry.list().map((s) => s.id));
  const onRemoved = (s: CallSession) => ended.add(s.id);
  registry.on('removed', onRemoved);
  try {
    await registry.whenIdle(AbortSignal.timeout(deadlineMs));
    if (registry.size > 0) {
      logger.info({ liveCalls: registry.size }, 'deadline reached: hanging up remaining calls');
      await registry.closeAll('shutdown');
    }
  } finally {
    registry.off('removed', onRemoved);
  }
  return ended;
}
