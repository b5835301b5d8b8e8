/** WebSocket client for OpenAI Realtime-compatible servers: connect (auth header, classified errors), bounded appends. */
export * from './connect-realtime-socket.js';
export * from './realtime-connect-error.js';
export * from './realtime-socket.js';
