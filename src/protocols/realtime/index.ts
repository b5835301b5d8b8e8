/** OpenAI Realtime API wire format (GA, with the beta names accepted): events, session bodies, formats, errors. */
export * from './audio-formats.js';
export * from './client-events.js';
export * from './error-classes.js';
export * from './server-events.js';
export * from './session-wire.js';
