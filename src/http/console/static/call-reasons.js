// Why a call ended, in words a person at the console or the web phone understands (close reasons of the adapter).

const REASONS = {
  caller_hangup: 'the caller hung up',
  agent_hangup: 'the agent hung up',
  control_hangup: 'hung up through the API or console',
  media_closed: 'the audio connection to Asterisk closed',
  media_left_bridge:
    "Asterisk took the adapter's audio out of the call (often no codec translation path: without codec_opus the " +
    'web phone must use ulaw)',
  media_unavailable: 'no media resources for the call (all RTP ports in use)',
  agent_failed: 'the agent failed or could not be reached',
  agent_rejected: 'the agent refused the call',
  no_route: 'no route matches this call',
  ari_failure: 'setting up the call in Asterisk failed',
  transferred: 'the call was transferred',
  shutdown: 'the adapter shut down',
  orphaned: 'the adapter instance that owned the call stopped',
  error: 'an internal error',
};

/** `reason — explanation`, or the bare reason when it is not known here. */
export function describeReason(reason) {
  const text = REASONS[reason];
  return text ? `${reason} — ${text}` : String(reason ?? 'unknown');
}

/** The SIP Call-ID of a console call (its caller channel's protocol_id, recorded with `call.started`). */
export function sipCallIdOf(call) {
  const started = call?.events?.find((e) => e.type === 'call.started');
  const id = started?.data?.protocolId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
