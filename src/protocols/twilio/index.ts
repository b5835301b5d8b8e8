/** The Twilio Media Streams dialect: typed messages, parsing, the stream encoder, payload codec and SIDs. */
export * from './codec.js';
export * from './messages.js';
export * from './parse.js';
export * from './sids.js';
export * from './stream-encoder.js';
