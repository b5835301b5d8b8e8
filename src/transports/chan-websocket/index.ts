export * from './chan-websocket-connection.js';
export * from './connect-chan-websocket.js';
export * from './chan-websocket-listener.js';
