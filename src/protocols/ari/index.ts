export * from './events.js';
export * from './parse-event.js';
export * from './resources.js';
export * from './vocabulary.js';
