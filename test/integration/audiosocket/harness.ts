import { randomUUID } from 'node:crypto';
import { MediaClock } from '../../../src/audio/media-clock.js';
import { PlayoutBuffer } from '../../../src/audio/playout-buffer.js';
import { createLogger, type Logger } from '../../../src/observability/logger.js';
import type { AudioSocketConnection } from '../../../src/transports/audiosocket/audiosocket-connection.js';
import {
  AudioSocketServer,
  type AudioSocketServerOptions,
} from '../../../src/transports/audiosocket/audiosocket-server.js';
import type { AudioSocketCloseInfo } from '../../../src/transports/audiosocket/close-reason.js';
import { UuidRegistry } from '../../../src/transports/audiosocket/uuid-registry.js';
import { waitFor } from '../../support/wait.js';

/** A logger whose JSON lines are kept in memory for assertions. */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    pretty: false,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

export interface CallContext {
  name: string;
}

export interface Harness {
  server: AudioSocketServer<CallContext>;
  registry: UuidRegistry<CallContext>;
  clock: MediaClock;
  host: string;
  port: number;
  lines: Record<string, unknown>[];
  /** Connections admitted so far, by UUID. */
  connections: Map<string, AudioSocketConnection<CallContext>>;
  /** Close infos of admitted connections, by UUID. */
  closes: Map<string, AudioSocketCloseInfo>;
  /** Resolves with the close info of the admitted connection for `uuid` once it has closed. */
  connectionClosed(uuid: string): Promise<AudioSocketCloseInfo>;
  /** Registers a fresh UUID and returns it. */
  register(name?: string, ttlMs?: number): string;
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<Omit<AudioSocketServerOptions<CallContext>, 'admission' | 'logger'>> {
  /** What to do with each admitted connection; default: echo through a PlayoutBuffer paced by the clock. */
  onConnection?: (conn: AudioSocketConnection<CallContext>, h: Harness) => void;
}

/**
 * Echo as the design describes it: every inbound frame goes into the call's PlayoutBuffer; every clock tick takes one
 * frame and sends it, or silence when nothing is queued (from the moment the call is admitted).
 */
export function echoThroughPlayout(conn: AudioSocketConnection<CallContext>, clock: MediaClock): void {
  const playout = new PlayoutBuffer({ format: conn.outboundFormat, maxMs: 10_000 });
  const silence = Buffer.alloc(playout.frameBytes);
  const unsubscribe = clock.subscribe(() => {
    conn.sendAudio(playout.take()?.data ?? silence);
  });
  conn.on('audio', (audio) => {
    playout.push(audio.payload);
  });
  conn.on('close', unsubscribe);
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { logger, lines } = memoryLogger();
  const registry = new UuidRegistry<CallContext>();
  const clock = new MediaClock();
  const { onConnection, ...serverOptions } = options;
  const server = new AudioSocketServer<CallContext>({
    host: '127.0.0.1',
    port: 0,
    maxFrameBytes: 8192,
    handshakeTimeoutMs: 5000,
    idleTimeoutMs: 15_000,
    ...serverOptions,
    admission: registry,
    logger,
  });
  const address = await server.listen();
  const harness: Harness = {
    server,
    registry,
    clock,
    host: address.host,
    port: address.port,
    lines,
    connections: new Map(),
    closes: new Map(),
    async connectionClosed(uuid) {
      await waitFor(() => harness.connections.has(uuid), 20_000, `admission of ${uuid}`);
      return harness.connections.get(uuid)!.closed;
    },
    register(name = 'call', ttlMs = 60_000) {
      const uuid = randomUUID();
      registry.register(uuid, { name }, ttlMs);
      return uuid;
    },
    async close() {
      try {
        await server.close();
      } finally {
        await clock.close();
      }
    },
  };
  server.on('connection', (conn) => {
    harness.connections.set(conn.uuid, conn);
    conn.on('close', (info) => harness.closes.set(conn.uuid, info));
    if (onConnection) onConnection(conn, harness);
    else echoThroughPlayout(conn, clock);
  });
  clock.start();
  return harness;
}

/** A tone that never crosses zero, so no 20 ms frame of it is all zeros (silence stays recognisable). */
export function nonSilentTone(seed: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  const step = (2 * Math.PI * (200 + 37 * seed)) / 8000;
  for (let i = 0; i < samples; i++) out[i] = 6000 + seed + Math.round(4000 * Math.sin(step * i));
  return out;
}

/** Splits PCM into frames of `size` bytes and drops those that are all zeros. */
export function withoutSilentFrames(pcm: Buffer, size: number): Buffer {
  const kept: Buffer[] = [];
  for (let off = 0; off < pcm.length; off += size) {
    const frame = pcm.subarray(off, off + size);
    if (frame.some((b) => b !== 0)) kept.push(frame);
  }
  return Buffer.concat(kept);
}

export function isSilent(payload: Buffer | undefined): boolean {
  return payload !== undefined && payload.every((b) => b === 0);
}
