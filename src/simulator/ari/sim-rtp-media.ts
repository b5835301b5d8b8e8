/**
 * The UnicastRTP channels of the simulated Asterisk: opens each channel's socket, drives every stream from one
 * shared 20 ms clock, and hangs them all up on close.
 */
import { MediaClock } from '../../audio/media-clock.js';
import { onceAsync, settleWithin } from '../../lib/once.js';
import { SimUnicastRtp, type SimUnicastRtpOptions } from './sim-unicast-rtp.js';

export interface SimRtpMediaOptions {
  /** Receives every RTP stream once its socket is open (tests read `received`, inject faults). */
  readonly onStream?: (stream: SimUnicastRtp) => void;
  /** `UNICASTRTP_LOCAL_ADDRESS`, the address the socket binds. Default 127.0.0.1. */
  readonly localAddress?: string;
  /** Every stream sends only once it has read a packet from the application (see SimUnicastRtpOptions). */
  readonly waitForAudio?: boolean;
}

const CLOSE_WAIT_MS = 2000;

export class SimRtpMedia {
  readonly #o: SimRtpMediaOptions;
  readonly #all: SimUnicastRtp[] = [];
  readonly #live = new Set<SimUnicastRtp>();
  #clock: MediaClock | undefined;

  constructor(options: SimRtpMediaOptions = {}) {
    this.#o = options;
  }

  /** Streams opened so far, in order. */
  get streams(): readonly SimUnicastRtp[] {
    return this.#all;
  }

  async open(options: Omit<SimUnicastRtpOptions, 'localAddress'>): Promise<SimUnicastRtp> {
    const stream = await SimUnicastRtp.open({
      ...options,
      ...(this.#o.localAddress ? { localAddress: this.#o.localAddress } : {}),
      ...(this.#o.waitForAudio ? { waitForAudio: true } : {}),
    });
    this.#all.push(stream);
    this.#live.add(stream);
    if (!this.#clock) {
      this.#clock = new MediaClock();
      this.#clock.start();
    }
    const unsubscribe = this.#clock.subscribe((tick) => stream.tick(tick));
    void stream.closed.then(() => {
      unsubscribe();
      this.#live.delete(stream);
    });
    this.#o.onStream?.(stream);
    return stream;
  }

  /** Hangs up every stream, waits for their sockets to close, stops the clock. Idempotent. */
  readonly close: () => Promise<void> = onceAsync(async () => {
    const closing = [...this.#live].map((s) => {
      s.hangup();
      return s.closed;
    });
    await settleWithin(Promise.allSettled(closing), CLOSE_WAIT_MS);
    await this.#clock?.close();
    this.#clock = undefined;
  });
}
