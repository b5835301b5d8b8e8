/** WebRTC peers for agents: werift peer connection, RTP audio codecs (G.711, Opus), jitter buffer, RTP sequencing. */
export * from './opus-frame-codec.js';
export * from './rtp-audio-codec.js';
export * from './rtp-audio-pipeline.js';
export * from './rtp-codec-spec.js';
export * from './rtp-jitter-buffer.js';
export * from './rtp-send-sequencer.js';
export * from './sdp-audio.js';
export * from './webrtc-error.js';
export * from './webrtc-peer.js';
