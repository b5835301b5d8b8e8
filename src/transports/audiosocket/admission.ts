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
}
