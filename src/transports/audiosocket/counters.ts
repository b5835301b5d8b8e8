/** Server-wide AudioSocket counters, plain numbers for metrics. */
export interface AudioSocketCounters {
  /** Connections admitted (UUID accepted). */
  connectionsAccepted: number;
  /** Connections whose UUID admission refused. */
  connectionsRejected: number;
  /** Connections closed before a valid UUID frame (timeout, garbage, closed, over the connection limit). */
  handshakeFailures: number;
  /** Admitted connections still open. */
  connectionsActive: number;
  framesIn: number;
  audioFramesIn: number;
  dtmfIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  /** Outbound audio frames dropped because the socket was not draining. */
  framesDropped: number;
  protocolErrors: number;
  idleTimeouts: number;
}

/** Per-connection counters. */
export interface AudioSocketConnectionStats {
  framesIn: number;
  audioFramesIn: number;
  dtmfIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  framesDropped: number;
}

export function createAudioSocketCounters(): AudioSocketCounters {
  return {
    connectionsAccepted: 0,
    connectionsRejected: 0,
    handshakeFailures: 0,
    connectionsActive: 0,
    framesIn: 0,
    audioFramesIn: 0,
    dtmfIn: 0,
    bytesIn: 0,
    framesOut: 0,
    bytesOut: 0,
    framesDropped: 0,
    protocolErrors: 0,
    idleTimeouts: 0,
  };
}

export function createConnectionStats(): AudioSocketConnectionStats {
  return { framesIn: 0, audioFramesIn: 0, dtmfIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, framesDropped: 0 };
}
