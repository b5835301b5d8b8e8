export * from './env-vars.js';
export * from './load-config.js';
export * from './routes.js';
