export * from './ari/index.js';
