export * from './api-tokens.js';
export * from './env-vars.js';
export * from './load-config.js';
export * from './routes.js';
