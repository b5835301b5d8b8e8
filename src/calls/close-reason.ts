/** Why a call (or one of its legs) ended. Every call ends with exactly one. */
export const CLOSE_REASONS = [
  'caller_hangup',
  'agent_hangup',
  'control_hangup',
  'media_closed',
  /** The caller's media stopped and the watchdog found the leg dead (see `SilenceWatchdog`). */
  'media_timeout',
  /** The media channel left the call's bridge while the call was live (e.g. no codec translation path). */
  'media_left_bridge',
  /** No media resources for the call (RTP: every port of RTP_PORT_MIN..RTP_PORT_MAX in use): refused. */
  'media_unavailable',
  /** The media worker holding the call's media exited (crash, SIGKILL): only its calls end, with this reason. */
  'worker_failed',
  'agent_failed',
  'agent_rejected',
  'no_route',
  'ari_failure',
  'transferred',
  /** Answering-machine detection found a machine and the route hangs up on machines. */
  'amd_machine',
  /** The agent's message to an answering machine has been played after the beep. */
  'amd_message_left',
  'shutdown',
  'orphaned',
  'error',
] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** Who ended the call, in the words of the agent protocols. */
export type HangupInitiator = 'caller' | 'agent' | 'system';

export function initiatorOf(reason: CloseReason): HangupInitiator {
  switch (reason) {
    case 'caller_hangup':
      return 'caller';
    case 'agent_hangup':
    case 'agent_rejected':
    case 'transferred':
      return 'agent';
    default:
      return 'system';
  }
}
