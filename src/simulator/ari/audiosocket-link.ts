/**
 * How the simulated Asterisk opens the AudioSocket connection of an externalMedia channel: the dial function type
 * (see `audioSocketDialerLink` for the one backed by the simulated AudioSocket dialer), and the format facts it
 * needs.
 */
/** AudioSocket audio kinds by ARI format (Asterisk labels any codec it cannot map, such as ulaw, as 0x10). */
const AUDIO_KIND_BY_FORMAT: Readonly<Record<string, number>> = {
  slin: 0x10,
  slin12: 0x11,
  slin16: 0x12,
  slin24: 0x13,
  slin32: 0x14,
  slin44: 0x15,
  slin48: 0x16,
  slin96: 0x17,
  slin192: 0x18,
};

/** Formats the simulated Asterisk accepts for externalMedia (others give 500, as an unknown format does). */
export const KNOWN_FORMATS: ReadonlySet<string> = new Set([
  ...Object.keys(AUDIO_KIND_BY_FORMAT),
  'ulaw',
  'alaw',
  'g722',
  'gsm',
  'g729',
  'g726',
  'ilbc',
  'opus',
  'speex',
  'speex16',
]);

export function audioSocketKind(format: string): number {
  return AUDIO_KIND_BY_FORMAT[format] ?? 0x10;
}

export interface AudioSocketDialRequest<A = unknown> {
  /** From `external_host`. */
  readonly host: string;
  readonly port: number;
  /** The `data` parameter: the UUID sent as the first frame. */
  readonly uuid: string;
  /** The ARI format (`slin`, `slin16`, `ulaw` ...). */
  readonly format: string;
  /** The AudioSocket kind audio frames carry for that format. */
  readonly kind: number;
  /**
   * The `audio` of the simulated caller this channel gets bridged with. Settles when the channel first shares a
   * bridge with another channel (with that channel's audio, possibly undefined) or ends unbridged (undefined).
   * Asterisk sends audio only once the channel is bridged.
   */
  readonly source: Promise<A | undefined>;
  /** Aborted when the simulated Asterisk closes. */
  readonly signal: AbortSignal;
}

/** The Asterisk end of one AudioSocket connection. */
export interface AudioSocketLeg {
  /** Asterisk hangs up: close the socket (FIN, no 0x00 frame). */
  hangup(): unknown;
  /** Settles when the connection ends for any reason (server close, 0x00 frame, error, hangup). */
  readonly closed: Promise<unknown>;
  /** Forwards a caller DTMF digit as a 0x03 frame, if the dialer supports it. */
  sendDtmf?(digit: string): void;
}

/** Connects an AudioSocket channel; rejecting makes externalMedia answer 500 (as "Connection refused" does). */
export type AudioSocketDial<A = unknown> = (request: AudioSocketDialRequest<A>) => Promise<AudioSocketLeg>;

/** Whether `value` is a canonical UUID string (what Asterisk's AudioSocket accepts as `data`). */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
