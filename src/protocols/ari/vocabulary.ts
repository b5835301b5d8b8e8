/**
 * Enumerated parameter values ARI accepts and the hangup causes it reports, shared by the client (typed
 * parameters) and the simulated Asterisk (validation).
 */

/** `DELETE /channels/{id}?reason=` values and the Q.850 cause each one sets. */
export const HANGUP_REASON_CAUSES = {
  normal: 16,
  busy: 17,
  congestion: 34,
  no_answer: 19,
  timeout: 18,
  rejected: 21,
  unallocated: 1,
  normal_unspecified: 31,
  number_incomplete: 28,
  codec_mismatch: 58,
  interworking: 127,
  failure: 38,
  answered_elsewhere: 26,
} as const;
export type HangupReason = keyof typeof HANGUP_REASON_CAUSES;
export const HANGUP_REASONS = Object.keys(HANGUP_REASON_CAUSES) as HangupReason[];

export function isHangupReason(value: string): value is HangupReason {
  return Object.hasOwn(HANGUP_REASON_CAUSES, value);
}

/** Q.850 cause texts as Asterisk's `ast_cause2str` spells them (the causes ARI events commonly carry). */
export const Q850_CAUSE_TEXT: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  20: 'Subscriber absent',
  21: 'Call Rejected',
  26: 'Answered elsewhere',
  28: 'Invalid number format (incomplete number)',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  58: 'Bearer capability not available',
  127: 'Interworking, unspecified',
};

export function causeText(cause: number): string {
  return Q850_CAUSE_TEXT[cause] ?? 'Unknown';
}

/** `POST /channels/externalMedia` enumerations. */
export const EXTERNAL_MEDIA_ENCAPSULATIONS = ['rtp', 'audiosocket', 'none'] as const;
export type ExternalMediaEncapsulation = (typeof EXTERNAL_MEDIA_ENCAPSULATIONS)[number];
export const EXTERNAL_MEDIA_TRANSPORTS = ['udp', 'tcp', 'websocket'] as const;
export type ExternalMediaTransport = (typeof EXTERNAL_MEDIA_TRANSPORTS)[number];
export const EXTERNAL_MEDIA_CONNECTION_TYPES = ['client', 'server'] as const;
export type ExternalMediaConnectionType = (typeof EXTERNAL_MEDIA_CONNECTION_TYPES)[number];
export const MEDIA_DIRECTIONS = ['both', 'in', 'out'] as const;
export type MediaDirection = (typeof MEDIA_DIRECTIONS)[number];

/** `POST /bridges?type=` flags (comma-separated in the request). */
export const BRIDGE_TYPES = ['mixing', 'holding', 'dtmf_events', 'proxy_media', 'video_sfu', 'video_single'] as const;
export type BridgeType = (typeof BRIDGE_TYPES)[number];

/** `POST /channels/{id}/snoop` directions. */
export const SNOOP_DIRECTIONS = ['none', 'both', 'out', 'in'] as const;
export type SnoopDirection = (typeof SNOOP_DIRECTIONS)[number];

/** `ifExists` for recordings. */
export const RECORDING_IF_EXISTS = ['fail', 'overwrite', 'append'] as const;
export type RecordingIfExists = (typeof RECORDING_IF_EXISTS)[number];
