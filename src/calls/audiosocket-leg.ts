import type { AudioFormat } from '../audio/format.js';
import { PCM8K } from '../audio/format.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { audioKindForSampleRate } from '../protocols/audiosocket/kinds.js';
import type { AudioSocketConnection, InboundAudio } from '../transports/audiosocket/audiosocket-connection.js';
import type { AudioSocketCloseInfo } from '../transports/audiosocket/close-reason.js';
import type { MediaLeg, MediaLegCloseReason, MediaLegEvents } from './media-leg.js';

/** Maps why the socket closed to why the leg closed. */
function legReason(info: AudioSocketCloseInfo): MediaLegCloseReason {
  switch (info.reason) {
    case 'remote_closed':
    case 'remote_hangup':
      return 'remote_closed';
    case 'hangup_sent':
      return 'hangup_sent';
    case 'idle_timeout':
      return 'idle_timeout';
    case 'protocol_error':
    case 'remote_error':
      return 'protocol_error';
    case 'local_close':
    case 'server_closing':
      return 'closed';
    case 'socket_error':
    case 'internal_error':
      return 'error';
  }
}

/**
 * An AudioSocket connection as a call's media leg. Outbound frames use the kind Asterisk sends (slin or slin16);
 * until the first audio frame arrives the leg assumes the planned format (the route's `audioFormat`).
 */
export class AudioSocketLeg<C> extends TypedEmitter<MediaLegEvents> implements MediaLeg {
  readonly id: string;
  readonly #conn: AudioSocketConnection<C>;
  #closed = false;

  readonly #planned: AudioFormat;

  /** `planned`: the format assumed until Asterisk's first audio frame (what the call asked for; 8 kHz slin by default). */
  constructor(connection: AudioSocketConnection<C>, planned: AudioFormat = PCM8K) {
    super();
    this.#planned = planned;
    this.#conn = connection;
    // Frames sent before Asterisk's first audio carry the planned kind; after it, the inbound kind is followed.
    if (connection.inboundKind === undefined) {
      const kind = audioKindForSampleRate(planned.sampleRate);
      if (kind !== undefined && kind !== 0x10) {
        connection.setOutboundKind(kind);
        connection.once('audio', () => connection.setOutboundKind(undefined));
      }
    }
    this.id = connection.uuid;
    connection.on('audio', (a: InboundAudio) => this.emit('audio', a.payload, a.format));
    connection.on('dtmf', (digit) => this.emit('dtmf', digit));
    connection.on('formatChange', (c) => this.emit('formatChange', c.format));
    connection.on('close', (info) => {
      this.#closed = true;
      this.emit('close', legReason(info));
    });
  }

  get connection(): AudioSocketConnection<C> {
    return this.#conn;
  }

  get format(): AudioFormat {
    return this.#conn.inboundFormat ?? this.#planned;
  }

  get closed(): boolean {
    return this.#closed || this.#conn.state !== 'open';
  }

  sendFrame(frame: Buffer): void {
    if (!this.closed) this.#conn.sendAudio(frame);
  }

  hangup(): void {
    if (!this.closed) void this.#conn.hangup('hangup_sent');
  }

  /** Ends the connection; idempotent, resolves once it has closed (the connection bounds the wait). */
  async close(): Promise<void> {
    await this.#conn.close();
  }
}
