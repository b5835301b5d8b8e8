export * from './rtp-endpoint.js';
export * from './rtp-port-pool.js';
