import type { ProtocolError } from '../../errors/protocol-error.js';
import { dtmfDigitFromByte } from './dtmf.js';
import { AUDIOSOCKET_HEADER_BYTES, AUDIOSOCKET_MAX_PAYLOAD } from './encoder.js';
import { AUDIOSOCKET_ERROR, audioSocketError } from './errors.js';
import { AUDIO_KIND_SAMPLE_RATE, AUDIOSOCKET_KIND, formatKind, isAudioKind } from './kinds.js';
import type { AudioSocketMessage } from './messages.js';
import { NIL_UUID, uuidFromBytes } from './uuid.js';

export interface AudioSocketDecoderOptions {
  /** Largest payload accepted; a longer frame is an error as soon as its header arrives. Default 65535. */
  maxFrameBytes?: number;
}

/**
 * Incremental AudioSocket decoder: bytes in any segmentation (half a header, ten frames in one chunk) in, whole
 * messages out. It buffers at most one frame (header + `maxFrameBytes`), so its memory is bounded.
 *
 * Validation happens as early as possible: kind and length are checked when the header is complete, before the
 * payload arrives (an unknown kind is reported as such whatever its length; control frames must have their exact
 * length; audio must be 1..maxFrameBytes). Errors are `ProtocolError`s with an `AUDIOSOCKET_*` code; after one, the decoder stays failed and
 * every later `push` throws the same error (the connection is to be closed).
 *
 * Payloads of frames that arrive whole in one chunk are views into that chunk (no copy).
 */
export class AudioSocketDecoder {
  readonly maxFrameBytes: number;
  readonly #header = Buffer.alloc(AUDIOSOCKET_HEADER_BYTES);
  #headerFill = 0;
  #kind = 0;
  #payload: Buffer | undefined;
  #payloadFill = 0;
  /** Stream offset of the frame being assembled, for error details. */
  #frameOffset = 0;
  #consumed = 0;
  #failed: ProtocolError | undefined;

  constructor(options: AudioSocketDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? AUDIOSOCKET_MAX_PAYLOAD;
    if (!Number.isInteger(max) || max < 16 || max > AUDIOSOCKET_MAX_PAYLOAD) {
      throw new RangeError(`maxFrameBytes must be an integer in 16..65535, got ${max}`);
    }
    this.maxFrameBytes = max;
  }

  /** Bytes held for an incomplete frame (never more than 3 + maxFrameBytes). */
  get bufferedBytes(): number {
    return this.#payload !== undefined ? AUDIOSOCKET_HEADER_BYTES + this.#payloadFill : this.#headerFill;
  }

  /** Total bytes pushed so far. */
  get bytesConsumed(): number {
    return this.#consumed;
  }

  /** The error that stopped the decoder, if any. */
  get error(): ProtocolError | undefined {
    return this.#failed;
  }

  /**
   * Decodes what `chunk` completes. Messages are appended to `out` as they are decoded (so the caller keeps those
   * that preceded a bad frame when this throws) and `out` is returned.
   * @throws ProtocolError on the first invalid frame, and on every call after it.
   */
  push(chunk: Uint8Array, out: AudioSocketMessage[] = []): AudioSocketMessage[] {
    if (this.#failed) throw this.#failed;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let off = 0;
    const end = buf.length;
    try {
      while (off < end) {
        if (this.#payload !== undefined) {
          const n = Math.min(this.#payload.length - this.#payloadFill, end - off);
          buf.copy(this.#payload, this.#payloadFill, off, off + n);
          this.#payloadFill += n;
          off += n;
          if (this.#payloadFill === this.#payload.length) {
            const payload = this.#payload;
            this.#payload = undefined;
            this.#payloadFill = 0;
            out.push(this.#message(this.#kind, payload));
          }
          continue;
        }
        let length: number;
        if (this.#headerFill === 0 && end - off >= AUDIOSOCKET_HEADER_BYTES) {
          // Fast path: the whole header is in this chunk.
          this.#frameOffset = this.#consumed + off;
          this.#kind = buf[off]!;
          length = (buf[off + 1]! << 8) | buf[off + 2]!;
          off += AUDIOSOCKET_HEADER_BYTES;
        } else {
          if (this.#headerFill === 0) this.#frameOffset = this.#consumed + off;
          const n = Math.min(AUDIOSOCKET_HEADER_BYTES - this.#headerFill, end - off);
          buf.copy(this.#header, this.#headerFill, off, off + n);
          this.#headerFill += n;
          off += n;
          if (this.#headerFill < AUDIOSOCKET_HEADER_BYTES) continue;
          this.#headerFill = 0;
          this.#kind = this.#header[0]!;
          length = this.#header.readUInt16BE(1);
        }
        this.#checkHeader(this.#kind, length);
        if (end - off >= length) {
          out.push(this.#message(this.#kind, buf.subarray(off, off + length)));
          off += length;
        } else {
          this.#payload = Buffer.allocUnsafe(length);
          this.#payloadFill = 0;
        }
      }
    } catch (err) {
      this.#failed = err as ProtocolError;
      this.#payload = undefined;
      this.#payloadFill = 0;
      this.#headerFill = 0;
      throw err;
    } finally {
      this.#consumed += off;
    }
    return out;
  }

  #details(kind: number, length: number): Record<string, unknown> {
    return { kind: formatKind(kind), length, offset: this.#frameOffset };
  }

  #checkHeader(kind: number, length: number): void {
    const at = `at byte ${this.#frameOffset}`;
    if (isAudioKind(kind)) {
      if (length === 0) {
        throw audioSocketError(
          AUDIOSOCKET_ERROR.emptyAudio,
          `empty audio frame kind ${formatKind(kind)} ${at}`,
          this.#details(kind, length),
        );
      }
      if (length > this.maxFrameBytes) {
        throw audioSocketError(
          AUDIOSOCKET_ERROR.frameTooLarge,
          `frame kind ${formatKind(kind)} of ${length} bytes ${at} exceeds the ${this.maxFrameBytes}-byte limit`,
          this.#details(kind, length),
        );
      }
      return;
    }
    let expected: number;
    switch (kind) {
      case AUDIOSOCKET_KIND.hangup:
        expected = 0;
        break;
      case AUDIOSOCKET_KIND.uuid:
        expected = 16;
        break;
      case AUDIOSOCKET_KIND.dtmf:
      case AUDIOSOCKET_KIND.error:
        expected = 1;
        break;
      default:
        throw audioSocketError(
          AUDIOSOCKET_ERROR.unknownKind,
          `unknown frame kind ${formatKind(kind)} (length ${length}) ${at}`,
          this.#details(kind, length),
        );
    }
    if (length !== expected) {
      throw audioSocketError(
        AUDIOSOCKET_ERROR.badLength,
        `frame kind ${formatKind(kind)} ${at} has length ${length}, expected ${expected}`,
        this.#details(kind, length),
      );
    }
  }

  /** Builds the message for a frame whose header already passed `#checkHeader`. */
  #message(kind: number, payload: Buffer): AudioSocketMessage {
    if (isAudioKind(kind)) return { type: 'audio', kind, sampleRate: AUDIO_KIND_SAMPLE_RATE[kind], payload };
    switch (kind) {
      case AUDIOSOCKET_KIND.uuid: {
        const uuid = uuidFromBytes(payload);
        if (uuid === NIL_UUID) {
          throw audioSocketError(
            AUDIOSOCKET_ERROR.invalidUuid,
            `nil UUID at byte ${this.#frameOffset}`,
            this.#details(kind, 16),
          );
        }
        return { type: 'uuid', uuid };
      }
      case AUDIOSOCKET_KIND.dtmf: {
        const digit = dtmfDigitFromByte(payload[0]!);
        if (digit === undefined) {
          throw audioSocketError(
            AUDIOSOCKET_ERROR.invalidDtmf,
            `DTMF frame at byte ${this.#frameOffset} carries 0x${payload[0]!.toString(16)}, not a DTMF digit`,
            { ...this.#details(kind, 1), byte: payload[0] },
          );
        }
        return { type: 'dtmf', digit };
      }
      case AUDIOSOCKET_KIND.error:
        return { type: 'error', code: payload[0]! };
      case AUDIOSOCKET_KIND.hangup:
        return { type: 'hangup' };
      default:
        throw audioSocketError(AUDIOSOCKET_ERROR.unknownKind, `unknown frame kind ${formatKind(kind)}`);
    }
  }
}
