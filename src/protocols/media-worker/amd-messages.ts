import { z } from 'zod';

/**
 * Answering-machine detection across the media worker channel: the primary sends a call's AMD settings (and
 * Asterisk's verdict in `asterisk` mode) with the call; the worker, where the audio is, listens, reports the verdict
 * as the call's `amd.result` record (`call.event`) and asks the call's owner to end it (`call.end`) when the route
 * says so. The owner's session decides, as it does in one process.
 */

/** AmdResult as JSON (see calls/amd/amd-result.ts). */
export const workerAmdResultSchema = z.object({
  mode: z.enum(['asterisk', 'adapter']),
  result: z.enum(['human', 'machine', 'notsure']),
  cause: z.enum([
    'HUMAN',
    'LONGGREETING',
    'MAXWORDS',
    'MAXWORDLENGTH',
    'INITIALSILENCE',
    'TOOLONG',
    'HANGUP',
    'BEEP',
    'NOAUDIO',
  ]),
  detail: z.string().optional(),
  decisionMs: z.number().optional(),
  beep: z.boolean().optional(),
  beepEndMs: z.number().optional(),
});

const ms = z.number().int().nonnegative();

/** A call's AMD (CallInfo.amd as JSON): the settings with every default filled, and Asterisk's verdict if any. */
export const workerCallAmdSchema = z.object({
  settings: z.object({
    mode: z.enum(['asterisk', 'adapter']),
    machine: z.enum(['hangup', 'message']),
    totalAnalysisMs: ms,
    initialSilenceMs: ms,
    greetingMs: ms,
    afterGreetingSilenceMs: ms,
    maxWords: z.number().int().positive(),
    minWordMs: ms,
    beepWaitMs: ms,
  }),
  asterisk: workerAmdResultSchema.optional(),
});
export type WorkerCallAmd = z.infer<typeof workerCallAmdSchema>;

/** Why a worker asks the call's owner to end the call: a machine hung up on, or a machine's message left. */
export const WORKER_END_REASONS = ['amd_machine', 'amd_message_left'] as const;

/** Worker → primary: end the call with `reason` (the owner's session closes it as it would in one process). */
export const workerCallEndSchema = z.object({
  type: z.literal('call.end'),
  callId: z.string().min(1),
  reason: z.enum(WORKER_END_REASONS),
});
