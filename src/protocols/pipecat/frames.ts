import { PIPECAT_FRAME_KINDS, type PipecatFrameKind, pipecatFrameType } from './schema.js';

/**
 * One Pipecat frame as carried in a binary WebSocket message. `id` and `name` are Pipecat's own frame id and name
 * (set by the Python serializer, ignored by this adapter); `id` and `pts` are uint64, kept as decimal strings.
 * Fields at their proto3 default (0, "", empty bytes) are absent on the wire, as Pipecat writes them.
 */
export type PipecatFrame =
  | { readonly kind: 'text'; readonly text: string; readonly id?: string; readonly name?: string }
  | {
      readonly kind: 'audio';
      /** Raw PCM, signed 16-bit little-endian, interleaved when `numChannels` > 1. */
      readonly audio: Buffer;
      readonly sampleRate: number;
      readonly numChannels: number;
      readonly id?: string;
      readonly name?: string;
      readonly pts?: string;
    }
  | {
      readonly kind: 'transcription';
      readonly text: string;
      readonly userId: string;
      readonly timestamp: string;
      readonly id?: string;
      readonly name?: string;
    }
  /** A transport message: `data` is a JSON document (RTVI messages travel here). */
  | { readonly kind: 'message'; readonly data: string }
  | { readonly kind: 'interruption'; readonly id?: string; readonly name?: string };

/** Why a binary message was not a usable frame. */
export type PipecatDecodeErrorCode = 'malformed_frame' | 'unknown_frame';

export interface PipecatDecodeError {
  readonly code: PipecatDecodeErrorCode;
  readonly message: string;
}

export type PipecatDecodeResult =
  | { readonly ok: true; readonly frame: PipecatFrame }
  | { readonly ok: false; readonly error: PipecatDecodeError };

type Plain = Record<string, unknown>;

/** Encodes one frame as the bytes of a binary WebSocket message. */
export function encodePipecatFrame(frame: PipecatFrame): Buffer {
  const body: Plain = {};
  const set = (key: string, value: string | number | Uint8Array | undefined) => {
    if (value === undefined || value === '' || value === 0 || value === '0') return;
    if (value instanceof Uint8Array && value.length === 0) return;
    body[key] = value;
  };
  const common = (f: { id?: string; name?: string }) => {
    set('id', f.id);
    set('name', f.name);
  };
  switch (frame.kind) {
    case 'text':
      common(frame);
      set('text', frame.text);
      break;
    case 'audio':
      common(frame);
      set('audio', frame.audio);
      set('sampleRate', frame.sampleRate);
      set('numChannels', frame.numChannels);
      set('pts', frame.pts);
      break;
    case 'transcription':
      common(frame);
      set('text', frame.text);
      set('userId', frame.userId);
      set('timestamp', frame.timestamp);
      break;
    case 'message':
      set('data', frame.data);
      break;
    case 'interruption':
      common(frame);
      break;
  }
  const message = pipecatFrameType.fromObject({ [frame.kind]: body });
  const bytes = pipecatFrameType.encode(message).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes one binary WebSocket message. Never throws: bytes that are not protobuf, or a `Frame` with no member of the
 * union this schema knows (e.g. a frame kind added to Pipecat later), come back as an error. Where the bytes hold
 * several members of the union, the last one wins (the protobuf rule for a oneof).
 */
export function decodePipecatFrame(data: Uint8Array): PipecatDecodeResult {
  let plain: Plain;
  try {
    const message = pipecatFrameType.decode(data);
    plain = pipecatFrameType.toObject(message, { longs: String });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, error: { code: 'malformed_frame', message: `not a Pipecat protobuf frame: ${reason}` } };
  }
  const present = PIPECAT_FRAME_KINDS.filter((k) => plain[k] !== undefined && plain[k] !== null);
  if (present.length === 0) {
    return {
      ok: false,
      error: {
        code: 'unknown_frame',
        message: `a frame with none of ${PIPECAT_FRAME_KINDS.join(', ')} (${data.length} bytes)`,
      },
    };
  }
  const kind = present[0] as PipecatFrameKind;
  return { ok: true, frame: toFrame(kind, plain[kind] as Plain) };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function ids(b: Plain): { id?: string; name?: string } {
  const id = str(b['id']);
  const name = str(b['name']);
  return { ...(id !== '' && id !== '0' ? { id } : {}), ...(name !== '' ? { name } : {}) };
}

function toFrame(kind: PipecatFrameKind, b: Plain): PipecatFrame {
  switch (kind) {
    case 'text':
      return { kind, text: str(b['text']), ...ids(b) };
    case 'audio': {
      const audio = b['audio'];
      const pts = str(b['pts']);
      return {
        kind,
        audio: Buffer.isBuffer(audio) ? audio : Buffer.from((audio as Uint8Array | undefined) ?? []),
        sampleRate: num(b['sampleRate']),
        numChannels: num(b['numChannels']),
        ...ids(b),
        ...(pts !== '' && pts !== '0' ? { pts } : {}),
      };
    }
    case 'transcription':
      return {
        kind,
        text: str(b['text']),
        userId: str(b['userId']),
        timestamp: str(b['timestamp']),
        ...ids(b),
      };
    case 'message':
      return { kind, data: str(b['data']) };
    case 'interruption':
      return { kind, ...ids(b) };
  }
}
