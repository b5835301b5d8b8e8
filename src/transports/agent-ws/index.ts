/** WebSocket client used to reach agents: connect (signed, classified errors), bounded sends, reconnect policy. */
export * from './agent-connect-error.js';
export * from './agent-socket.js';
export * from './connect-agent-socket.js';
export * from './connect-with-retry.js';
export * from './reconnect-policy.js';
