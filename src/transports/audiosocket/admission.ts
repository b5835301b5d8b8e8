import type { Socket } from 'node:net';

/** The answer to "may this AudioSocket UUID connect?". A refusal names why, for the log line and metrics. */
export type AdmissionDecision<C> =
  | { readonly accept: true; readonly context: C }
  | { readonly accept: false; readonly reason: string; readonly detail?: string };

/**
 * Decides whether a connection that announced `uuid` belongs to a call we expect, and hands back that call's
 * context. The AudioSocket server depends on nothing else of the call layer.
 */
export interface AudioSocketAdmission<C> {
  admit(uuid: string): AdmissionDecision<C> | Promise<AdmissionDecision<C>>;
  /**
   * Takes an admitted connection's socket away from this server (to a media worker), with every byte read from it
   * so far (`raw`, the UUID frame included); true when it did. Unset or false: the server serves the connection.
   */
  handOff?(uuid: string, context: C, socket: Socket, raw: Buffer): boolean;
}
