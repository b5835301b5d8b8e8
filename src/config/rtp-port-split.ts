import type { ConfigIssue } from '../errors/config-error.js';

/** A range of UDP ports, both ends included. */
export interface PortRange {
  readonly minPort: number;
  readonly maxPort: number;
}

/**
 * The RTP ports of media worker `slot` of `workers` (MEDIA_WORKERS > 0): RTP_PORT_MIN..RTP_PORT_MAX cut into
 * `workers` consecutive sub-ranges in slot order. Each worker gets ⌊size / workers⌋ ports; the first
 * `size mod workers` workers get one more. Worker 0 starts at RTP_PORT_MIN, the last worker ends at RTP_PORT_MAX,
 * and no two workers share a port (a replaced worker takes its slot's range again). The primary binds one of them
 * only for an RTP call it serves itself (no worker ready, or an agent injected into the process).
 * Throws a RangeError when the range has fewer ports than there are workers (`rtpPortSplitIssues` refuses that
 * configuration at load time).
 */
export function workerRtpPortRange(range: PortRange, workers: number, slot: number): PortRange {
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`bad media worker count ${workers}`);
  if (!Number.isInteger(slot) || slot < 0 || slot >= workers) throw new RangeError(`bad media worker slot ${slot}`);
  const size = range.maxPort - range.minPort + 1;
  if (size < workers)
    throw new RangeError(
      `RTP ports ${range.minPort}-${range.maxPort} (${size}) cannot give ${workers} workers one each`,
    );
  const base = Math.floor(size / workers);
  const extra = size % workers;
  const minPort = range.minPort + slot * base + Math.min(slot, extra);
  return { minPort, maxPort: minPort + base + (slot < extra ? 1 : 0) - 1 };
}

/**
 * Configuration issues of the RTP port split: with media workers and a route on `media: rtp`, every worker needs at
 * least one port of RTP_PORT_MIN..RTP_PORT_MAX (one port carries one call).
 */
export function rtpPortSplitIssues(v: {
  MEDIA_WORKERS: number;
  RTP_PORT_MIN: number;
  RTP_PORT_MAX: number;
  rtpRoutes: readonly string[];
}): ConfigIssue[] {
  if (v.MEDIA_WORKERS === 0 || v.rtpRoutes.length === 0 || v.RTP_PORT_MIN > v.RTP_PORT_MAX) return [];
  const size = v.RTP_PORT_MAX - v.RTP_PORT_MIN + 1;
  if (size >= v.MEDIA_WORKERS) return [];
  return [
    {
      variable: 'RTP_PORT_MAX',
      message: `MEDIA_WORKERS=${v.MEDIA_WORKERS} split RTP_PORT_MIN..RTP_PORT_MAX (${v.RTP_PORT_MIN}-${v.RTP_PORT_MAX}, ${size} port${size === 1 ? '' : 's'}) among the workers, one port per call, and each worker needs at least one for route "${v.rtpRoutes[0]}" (media "rtp"): widen the range to ${v.MEDIA_WORKERS} ports or more`,
    },
  ];
}
