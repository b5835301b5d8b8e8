export * from './app-error.js';
export * from './config-error.js';
export * from './protocol-error.js';
