/** Size and flow-control facts of chan_websocket (Asterisk 22.10 source and recorded traces). */

/** Largest WebSocket message Asterisk accepts; a larger one closes the socket and hangs the call up. */
export const CHAN_WEBSOCKET_MAX_MESSAGE_BYTES = 65_500;
/** Frames Asterisk queues for playout at most (≈ 20 s of 20 ms frames). */
export const CHAN_WEBSOCKET_QUEUE_MAX_FRAMES = 1000;
/** Queue length at which Asterisk sends MEDIA_XOFF. */
export const CHAN_WEBSOCKET_XOFF_LEVEL = 900;
/** Queue length below which Asterisk sends MEDIA_XON after an XOFF. */
export const CHAN_WEBSOCKET_XON_LEVEL = 800;

/** Control message formats (`chan_websocket.conf control_message_format`, per call `f(json|plain-text)`). */
export const CONTROL_FORMATS = ['json', 'plain-text'] as const;
export type ControlFormat = (typeof CONTROL_FORMATS)[number];

/** Media formats the adapter uses over chan_websocket, with their 20 ms frame size in bytes. */
export const CHAN_WEBSOCKET_FRAME_BYTES = { slin: 320, slin16: 640, ulaw: 160, alaw: 160 } as const;
export type ChanWebSocketFormat = keyof typeof CHAN_WEBSOCKET_FRAME_BYTES;
