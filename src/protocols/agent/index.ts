/** The native agent protocol v1: typed events and commands, parsing, request signing, JSON Schema. */
export * from './commands.js';
export * from './common.js';
export * from './events.js';
export * from './json-schema.js';
export * from './parse.js';
export * from './signing.js';
export * from './utterance-tracker.js';
export * from './webrtc-signalling.js';
export * from './connect-in.js';
