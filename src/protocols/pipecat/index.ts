/** Pipecat's protobuf frames (`ProtobufFrameSerializer`) and the RTVI messages carried in them. */
export * from './frames.js';
export * from './rtvi.js';
export * from './schema.js';
