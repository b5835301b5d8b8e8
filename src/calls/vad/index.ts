export * from './silero-model.js';
export * from './vad-engine.js';
export * from './vad-engine-options.js';
export * from './vad-error.js';
export * from './vad-state-machine.js';
export * from './vad-stream.js';
export type { VadWindowListener } from './vad-channel.js';
export * from './speech-detector-factory.js';
export * from './vad-energy-gate.js';
