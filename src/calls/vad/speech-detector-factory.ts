import type { Config } from '../../config/load-config.js';
import type { Logger } from '../../observability/logger.js';
import type { SpeechDetectorFactory } from '../media-leg.js';
import type { VadEngineStats } from './vad-engine-options.js';
import { VadEngine } from './vad-engine.js';

/**
 * Speech detectors of calls over the shared Silero VAD engine: `factory` makes one per call; the engine itself
 * starts with `start()` (the service's start) and stops with `close()`.
 */
export class VadSpeechDetectors {
  readonly #settings: Config['vad'];
  readonly #logger: Logger;
  #engine: VadEngine | undefined;

  constructor(settings: Config['vad'], logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
  }

  /** A detector for one call's audio; throws while the engine is not started. */
  readonly factory: SpeechDetectorFactory = (sampleRate, callId) => {
    const engine = this.#engine;
    if (!engine) throw new Error('VAD engine not started');
    const stream = engine.createStream({
      sampleRate,
      threshold: this.#settings.threshold,
      minSpeechMs: this.#settings.minSpeechMs,
      minSilenceMs: this.#settings.minSilenceMs,
      energyGateDbfs: this.#settings.energyGateDbfs,
    });
    stream.on('failed', (err) => this.#logger.warn({ err, callId }, 'speech detection stopped for this call'));
    return {
      push: (samples) => stream.push(samples),
      on: (event, listener) => stream.on(event as 'speechStart' | 'speechEnd', listener as never),
      close: () => stream.close(),
    };
  };

  /** Starts the engine (loads the model, spawns its worker). Idempotent. */
  async start(): Promise<void> {
    if (this.#engine) return;
    const engine = await VadEngine.start({
      logger: this.#logger.child({ component: 'vad' }),
      minJobIntervalMs: this.#settings.batchIntervalMs,
      placement: { cpus: this.#settings.workerCpus, priority: this.#settings.workerPriority },
    });
    engine.on('failed', (err) =>
      this.#logger.error({ err }, 'VAD engine failed: calls continue without speech detection'),
    );
    const { worker, loopCpus, notes } = engine.placement;
    this.#logger.info(
      {
        model: engine.modelPath,
        energyGateDbfs: this.#settings.energyGateDbfs ?? 'off',
        workerCpus: worker?.cpus,
        workerPriority: worker?.priority,
        eventLoopCpus: loopCpus,
      },
      'VAD engine ready',
    );
    for (const note of notes) this.#logger.warn({ workerCpus: this.#settings.workerCpus }, note);
    this.#engine = engine;
  }

  stats(): VadEngineStats | undefined {
    return this.#engine?.stats();
  }

  async close(): Promise<void> {
    await this.#engine?.close();
  }
}

/** The speech detectors VAD asks for: Silero detectors with VAD=silero, none with VAD=off. */
export function createSpeechDetectors(settings: Config['vad'], logger: Logger): VadSpeechDetectors | undefined {
  switch (settings.engine) {
    case 'silero':
      return new VadSpeechDetectors(settings, logger);
    case 'off':
      return undefined;
    default: {
      const never: never = settings.engine;
      throw new Error(`unknown VAD engine ${String(never)}`);
    }
  }
}
