export * from './commands.js';
export * from './events.js';
export * from './limits.js';
export * from './media-framer.js';
