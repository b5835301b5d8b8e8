import protobuf from 'protobufjs/light.js';

/**
 * Pipecat's `Frame` union (`ProtobufFrameSerializer`), written for this project from the field numbers Pipecat
 * documents in its `frames.proto` (package `pipecat`, proto3). Built with protobufjs's reflection API: no code
 * generation step.
 */
const descriptor = {
  nested: {
    pipecat: {
      nested: {
        TextFrame: {
          fields: {
            id: { type: 'uint64', id: 1 },
            name: { type: 'string', id: 2 },
            text: { type: 'string', id: 3 },
          },
        },
        AudioRawFrame: {
          fields: {
            id: { type: 'uint64', id: 1 },
            name: { type: 'string', id: 2 },
            audio: { type: 'bytes', id: 3 },
            sampleRate: { type: 'uint32', id: 4 },
            numChannels: { type: 'uint32', id: 5 },
            pts: { type: 'uint64', id: 6 },
          },
        },
        TranscriptionFrame: {
          fields: {
            id: { type: 'uint64', id: 1 },
            name: { type: 'string', id: 2 },
            text: { type: 'string', id: 3 },
            userId: { type: 'string', id: 4 },
            timestamp: { type: 'string', id: 5 },
          },
        },
        MessageFrame: {
          fields: {
            data: { type: 'string', id: 1 },
          },
        },
        InterruptionFrame: {
          fields: {
            id: { type: 'uint64', id: 1 },
            name: { type: 'string', id: 2 },
          },
        },
        Frame: {
          oneofs: { frame: { oneof: ['text', 'audio', 'transcription', 'message', 'interruption'] } },
          fields: {
            text: { type: 'TextFrame', id: 1 },
            audio: { type: 'AudioRawFrame', id: 2 },
            transcription: { type: 'TranscriptionFrame', id: 3 },
            message: { type: 'MessageFrame', id: 4 },
            interruption: { type: 'InterruptionFrame', id: 5 },
          },
        },
      },
    },
  },
};

/** The `pipecat.Frame` message type. */
export const pipecatFrameType: protobuf.Type = protobuf.Root.fromJSON(descriptor).lookupType('pipecat.Frame');

/** Members of the `frame` oneof, in field-number order (1–5). */
export const PIPECAT_FRAME_KINDS = ['text', 'audio', 'transcription', 'message', 'interruption'] as const;
export type PipecatFrameKind = (typeof PIPECAT_FRAME_KINDS)[number];
