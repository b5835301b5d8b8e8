export * from './jitter-buffer.js';
export * from './l16.js';
export * from './payload-types.js';
export * from './rtp-packet.js';
export * from './rtp-sender.js';
