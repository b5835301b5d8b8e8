export type * from './admission.js';
export * from './audiosocket-connection.js';
export * from './audiosocket-server.js';
export * from './close-reason.js';
export * from './counters.js';
export * from './handshake.js';
export * from './uuid-registry.js';
