/**
 * Example agents speaking the native protocol (binary or WebRTC audio), the Twilio dialect and Pipecat's protobuf
 * frames over real WebSockets.
 */
export * from './agent-runner.js';
export * from './agent-server.js';
export * from './condition-waiters.js';
export * from './dial-in-client.js';
export * from './native-echo-agent.js';
export * from './pipecat-bot.js';
export * from './tone.js';
export * from './twilio-dialect-agent.js';
export * from './webrtc-echo-agent.js';
