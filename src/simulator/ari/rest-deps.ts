/** What the simulated REST routes work on. */
import type { SimRtpMedia } from './sim-rtp-media.js';
import type { AudioSocketDial } from './audiosocket-link.js';
import type { ChanWebSocketServer } from './chan-websocket-server.js';
import type { SimCore } from './sim-core.js';
import type { SimMedia } from './sim-media.js';
import type { SimChannel } from './sim-model.js';
import type { SimOriginate } from './sim-originate.js';

/** DTMF the application sent towards a channel (`POST /channels/{id}/dtmf`). */
export interface SentDtmf {
  readonly dtmf: string;
  readonly before: number | undefined;
  readonly between: number | undefined;
  readonly duration: number | undefined;
  readonly after: number | undefined;
}

export interface ChannelRouteDeps {
  readonly core: SimCore;
  readonly media: SimMedia;
  readonly originate: SimOriginate;
  /** Opens AudioSocket connections; undefined creates AudioSocket channels without connecting. */
  readonly dial: AudioSocketDial | undefined;
  /** Aborted when the simulated Asterisk stops. */
  readonly signal: AbortSignal;
  readonly dtmfSent: (channel: SimChannel, dtmf: SentDtmf) => void;
  /** WebSocket externalMedia channels waiting for their media connection, by channel id. */
  readonly pendingWebSockets: Map<string, () => void>;
  /**
   * How long an externalMedia channel takes to enter Stasis after it was created (ms; 0 = right after the REST
   * answer). Real Asterisk does this on another thread, so the StasisStart may follow the answer by a while.
   */
  readonly mediaStasisDelayMs?: (() => number) | undefined;
  /** The `/media/<connection_id>` endpoint chan_websocket server-mode channels wait on. */
  readonly mediaSockets?: ChanWebSocketServer | undefined;
  /** UnicastRTP channels' sockets (externalMedia `encapsulation=rtp`). */
  readonly rtpMedia?: SimRtpMedia | undefined;
}
