/** Entry point of the media workers for the composition roots (src/media-workers.ts, src/media-worker.ts). */
export { type ExpectedCall, MediaWorkerHost, type MediaWorkerHostOptions } from './media-worker-host.js';
export {
  MediaWorkerPool,
  type MediaWorkerPoolOptions,
  type MediaWorkerState,
  type IncomingPlacement,
  workerAudioSocketPort,
} from './media-worker-pool.js';
export { ChannelAgentServices } from './worker-agent-services.js';
export { ChannelAgentWaits } from './channel-agent-waits.js';
export { PrimaryAgentWaits, type PrimaryAgentWaitsOptions } from './primary-agent-waits.js';
export type { AgentServices } from './remote-call-media.js';
export { mediaWorkerRefusal } from './worker-routes.js';
export { PrimaryMediaRoutes, type PrimaryMediaRoutesOptions } from './primary-media-routes.js';
export { workerVadSettings } from './worker-vad-settings.js';
export { ClientWebSocketMedia, MEDIA_TOKEN_PARAM } from './client-websocket-media.js';
export { type WorkerRtpMedia, WorkerRtpSockets } from './worker-rtp-sockets.js';
