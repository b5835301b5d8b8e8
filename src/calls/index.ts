/**
 * Entry point of the calls layer for the composition root (src/app.ts): scripts/check-imports.ts lets app.ts import
 * calls/ only through index files like this one.
 */
export { createAgentFactory } from './agents/agent-factory.js';
export { AgentInvites, createAgentInvites } from './agent-invites.js';
export type { TranscriptSink, TranscriptTurn } from './agents/realtime-transcripts.js';
export { type AgentWaits, type TakeCriteria, type WaitingCall, WaitingCalls } from './agents/waiting-calls.js';
export { type AudioSocketContext, AudioSocketIntake, type AudioSocketIntakeOptions } from './audiosocket-intake.js';
export { drainCalls } from './call-drain.js';
export { CallRegistry } from './call-registry.js';
export type { CallSession } from './call-session.js';
export { DEFAULT_ECHO_ROUTE, defaultRouteOf } from './default-route.js';
export type { SpeechDetector, SpeechDetectorFactory } from './media-leg.js';
export { createOpenAiSip, type OpenAiSipWebhookSettings } from './openai-sip-setup.js';
export { RouteMatcher } from './route-matcher.js';
export { RtpTotals, type RtpTotalsSnapshot } from './rtp-leg.js';
export { createSessionFactory, type NewSessionInfo, type SessionFactory } from './session-factory.js';
export { StasisController, type StasisControllerOptions } from './stasis-controller.js';
export { RecordedTranscriptSink, type TranscriptStore } from './stored-transcripts.js';
export type { AgentFactory, CallInfo, VoiceAgent } from './voice-agent.js';
export { IncomingMediaSockets } from './websocket-media-setup.js';
export {
  type AgentStartRequest,
  type AgentStartTarget,
  type DialInCall,
  type DialInClaims,
  type DialInSettings,
  localDialInClaims,
} from './agents/dial-in-agent.js';
export { describeTokenRefusal, OneTimeTokens, type TokenBinding } from './agents/one-time-tokens.js';
