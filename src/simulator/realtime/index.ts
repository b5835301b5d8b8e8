/** A Realtime-compatible server (GA protocol, beta names on request) for tests, the demo and the benchmark. */
export * from './energy-vad.js';
export * from './realtime-sim-session.js';
export * from './realtime-simulator.js';
export * from './sim-response.js';
export * from './sim-session-config.js';
export * from './sim-voice.js';
