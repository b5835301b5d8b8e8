export * from './decoder.js';
export * from './dtmf.js';
export * from './encoder.js';
export * from './errors.js';
export * from './inbound-encoder.js';
export * from './kinds.js';
export type * from './messages.js';
export * from './uuid.js';
