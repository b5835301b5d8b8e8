export * from './audiosocket-dialer-link.js';
export * from './audiosocket-link.js';
export type { HubDelivery } from './event-hub.js';
export type { SentDtmf } from './rest-deps.js';
export { SIMULATED_ASTERISK_VERSION } from './rest-system.js';
export type { ChannelEnd, TeardownMode } from './sim-core.js';
export type { EndpointBehaviour, EndpointBehaviourOptions } from './sim-originate.js';
export * from './simulated-asterisk.js';
export { SimulatedChannel } from './simulated-channel.js';
