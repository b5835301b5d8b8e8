import { z } from 'zod';
import {
  agentSocketSchema,
  agentWaitCancelSchema,
  agentWaitFailedSchema,
  agentWaitSchema,
} from './agent-wait-messages.js';
import { workerCallAmdSchema, workerCallEndSchema } from './amd-messages.js';

/**
 * The messages between the primary process and a media worker (`ava serve --media-workers N`), over the
 * child-process IPC channel. The primary owns each call's state machine; a worker holds the call's media plane
 * (AudioSocket leg, media bridge, agent connection) and reports what happens to it. Both sides parse what they
 * receive with these schemas; a message that does not parse is dropped with a log line.
 */

const callId = z.string().min(1);

/** The call a worker is to expect on its AudioSocket port (CallInfo as JSON; the route by name, from its config). */
export const workerCallInfoSchema = z.object({
  callId,
  direction: z.enum(['inbound', 'outbound']),
  caller: z.string().optional(),
  callee: z.string().optional(),
  routeName: z.string().min(1),
  channelId: z.string().optional(),
  startedAt: z.string(),
  customParameters: z.record(z.string(), z.string()),
  /** Answering-machine detection the worker runs before the agent starts (see amd-messages.ts). */
  amd: workerCallAmdSchema.optional(),
  /**
   * A call placed with `invite`: the audio its agent asked for. The agent's socket is the primary's until the worker
   * asks for it (`agent.wait` of kind `invited`).
   */
  invited: z
    .object({
      sampleRate: z.union([z.literal(8000), z.literal(16000), z.literal(24000)]),
      frameMs: z.union([z.literal(20), z.literal(40), z.literal(60), z.literal(80), z.literal(100)]),
    })
    .optional(),
});
export type WorkerCallInfo = z.infer<typeof workerCallInfoSchema>;

const legFormat = z.object({ encoding: z.literal('pcm16'), sampleRate: z.number().int().positive() });

/** An agent action a worker asks the primary to carry out (the call's state machine and telephony live there). */
const agentAction = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hangup'), reason: z.string().optional() }),
  z.object({
    type: z.literal('transfer'),
    target: z.union([
      z.object({ context: z.string(), extension: z.string(), priority: z.number().optional() }),
      z.object({ endpoint: z.string() }),
    ]),
  }),
  z.object({ type: z.literal('play'), media: z.string(), playId: z.string().optional() }),
  z.object({ type: z.literal('dtmf'), digits: z.string() }),
  z.object({ type: z.literal('mute') }),
  z.object({ type: z.literal('unmute') }),
  z.object({
    type: z.literal('warmTransfer'),
    transfer: z.object({
      target: z.union([
        z.object({ context: z.string(), extension: z.string(), priority: z.number().optional() }),
        z.object({ endpoint: z.string() }),
      ]),
      summary: z.string().optional(),
      prompt: z.array(z.string()).readonly().optional(),
      reason: z.string().optional(),
    }),
  }),
]);
export type WorkerAgentAction = z.infer<typeof agentAction>;

/** A finished transcript turn of a call's agent (TranscriptTurn as JSON), for the primary to record and store. */
const transcriptTurn = z.object({
  role: z.enum(['caller', 'agent']),
  text: z.string(),
  itemId: z.string(),
  startedAtMs: z.number().nullable(),
  endedAtMs: z.number().nullable(),
  truncated: z.boolean(),
  playedMs: z.number().optional(),
  totalMs: z.number().optional(),
});

/** A tool's outcome (ToolInvocationResult as JSON). */
const toolResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('succeeded'), output: z.unknown() }),
  z.object({
    status: z.enum(['failed', 'timed_out']),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);

/**
 * An HTTP upgrade request the primary received and hands to a worker with its TCP socket, before any byte of the
 * WebSocket handshake was answered: the request line and headers (as Node parsed them, names in lower case) and
 * `head`, every byte read from the socket after the headers (base64), to be read before the socket.
 */
export const handedUpgradeSchema = z.object({
  method: z.string().min(1),
  url: z.string().min(1),
  headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  head: z.base64(),
});
export type HandedUpgrade = z.infer<typeof handedUpgradeSchema>;

/** Primary → worker. */
export const toWorkerSchema = z.discriminatedUnion('type', [
  /** Configuration of the worker (the service's loaded config as JSON) and its slot; first message, once. */
  z.object({ type: z.literal('init'), worker: z.number().int().min(0), config: z.unknown() }),
  /** Expect an AudioSocket connection announcing `uuid`: it is this call's media. */
  z.object({ type: z.literal('call.open'), uuid: z.uuid(), info: workerCallInfoSchema }),
  /**
   * A dialplan-direct call's AudioSocket, accepted by the primary: the socket comes with this message (IPC handle),
   * `raw` is every byte the primary read from it (base64, the UUID frame included).
   */
  z.object({ type: z.literal('call.adopt'), uuid: z.uuid(), info: workerCallInfoSchema, raw: z.base64() }),
  /**
   * A Stasis call on a `media: websocket` route: connect to Asterisk's chan_websocket media socket `connectionId`
   * (server mode, on the ARI host), wait for MEDIA_START and run the call's media on it.
   */
  z.object({
    type: z.literal('call.connectWebSocket'),
    info: workerCallInfoSchema,
    connectionId: z.string().min(1),
    format: z.enum(['slin', 'slin16']),
  }),
  /**
   * A Stasis call on a `media: websocket` route in client mode (Asterisk connected to the primary's media listener):
   * the TCP socket comes with this message (IPC handle), the WebSocket handshake not answered yet. Complete it, wait
   * for MEDIA_START and run the call's media on it.
   */
  z.object({
    type: z.literal('call.webSocketMedia'),
    info: workerCallInfoSchema,
    /** The `websocket_client.conf` connection id Asterisk connected through. */
    connectionId: z.string().min(1),
    format: z.enum(['slin', 'slin16']),
    upgrade: handedUpgradeSchema,
  }),
  z.object({ type: z.literal('call.mute'), callId, muted: z.boolean() }),
  z.object({ type: z.literal('call.dtmf'), callId, digit: z.string(), durationMs: z.number().optional() }),
  /** End the call's media: agent, bridge and leg (`hangup`: send the AudioSocket hangup, else just close). */
  z.object({
    type: z.literal('call.close'),
    callId,
    reason: z.string(),
    initiator: z.enum(['caller', 'agent', 'system']),
    hangupLeg: z.boolean(),
    /** The hang-up cause Asterisk gave (Q.850), when it gave one: the agent's `hangup` event carries it. */
    cause: z.number().int().optional(),
  }),
  /** The result of a `call.action` the worker asked for. */
  z.object({
    type: z.literal('call.actionDone'),
    callId,
    actionId: z.number().int(),
    error: z
      .object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() })
      .optional(),
  }),
  /** A notice for the call's agent (a CallNotice, e.g. a warm transfer's steps). */
  z.object({ type: z.literal('agent.notify'), callId, notice: z.looseObject({ type: z.string() }) }),
  /** A text message for the call's agent (`send-message`). */
  z.object({ type: z.literal('agent.message'), callId, text: z.string(), interrupt: z.boolean() }),
  /** Have the agent speak `text` to the person a warm transfer reached; answered with `agent.spoken`. */
  z.object({ type: z.literal('agent.speak'), callId, requestId: z.number().int(), text: z.string() }),
  /** Stop the `agent.speak` request `requestId` (the transfer moved on or ended). */
  z.object({ type: z.literal('agent.speakAbort'), callId, requestId: z.number().int() }),
  /** The outcome of a `tool.invoke` (the tool ran as a job in the primary's job layer). */
  z.object({ type: z.literal('tool.result'), callId, requestId: z.number().int(), result: toolResult }),
  /**
   * A Stasis call on a `media: rtp` route: bind a UDP socket on a free port of this worker's RTP sub-range for it;
   * answered with `rtp.bound` (the port goes into externalMedia's `external_host`) or `rtp.bindFailed`.
   */
  z.object({ type: z.literal('call.openRtp'), info: workerCallInfoSchema }),
  /**
   * The call's UnicastRTP channel is bridged: run its media on the bound socket. `peer` is where Asterisk receives
   * (UNICASTRTP_LOCAL_ADDRESS / _PORT; absent: learned from the first packet), `format` what was asked of it.
   */
  z.object({
    type: z.literal('call.startRtp'),
    callId,
    channelId: z.string().min(1),
    format: z.enum(['ulaw', 'alaw', 'slin', 'slin16']),
    peer: z.object({ address: z.string().min(1), port: z.number().int().min(1).max(65535) }).optional(),
  }),
  /** The agent that connected in for the call (see agent-wait-messages.ts). */
  agentSocketSchema,
  agentWaitFailedSchema,
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

const count = z.number().nonnegative();

/** How often a worker reports a caller's continuing silence on the wire (`call.uplinkSilence`). */
export const UPLINK_SILENCE_REPORT_MS = 250;

/** A worker's running totals (all calls it carried, ended ones included), for the primary's `/metrics`. */
export const workerStatsSchema = z.object({
  calls: z.number().int().nonnegative(),
  media: z.object({
    framesIn: count,
    framesOut: count,
    bargeIns: count,
    playoutUnderruns: count,
    playoutOverflowBytes: count,
  }),
  clock: z.object({ ticks: count, late: count, missed: count }),
  vad: z.object({ inferenceMs: count, windowsInferred: count }).optional(),
  /** The worker process's own metrics (prom-client default metric names, e.g. `process_cpu_user_seconds_total`). */
  process: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), z.number()).optional(),
  /** RTP calls: counters of the ended ones, port refusals, and the ports of the worker's share bound now. */
  rtp: z
    .object({
      packetsIn: count,
      packetsOut: count,
      lost: count,
      wrongSource: count,
      portRefusals: count,
      portsInUse: count,
    })
    .optional(),
});
export type WorkerStats = z.infer<typeof workerStatsSchema>;

/** Worker → primary. */
export const fromWorkerSchema = z.discriminatedUnion('type', [
  /** The worker's totals, sent every second. */
  z.object({ type: z.literal('stats'), stats: workerStatsSchema }),
  /** The worker is up: its AudioSocket server listens on `audioSocketPort`. */
  z.object({ type: z.literal('ready'), audioSocketPort: z.number().int().positive() }),
  /** The call's AudioSocket connected and its agent is being started. */
  z.object({
    type: z.literal('call.connected'),
    callId,
    format: legFormat,
    agentKind: z.string(),
    /** What the agent takes from the control plane (text messages, speaking a warm transfer's summary). */
    agentCan: z.object({ sendMessage: z.boolean(), speakToTransferTarget: z.boolean() }).optional(),
  }),
  /** The agent started: the call is active. */
  z.object({ type: z.literal('call.active'), callId, agentKind: z.string() }),
  /** The agent could not be created or started, or failed later. */
  z.object({
    type: z.literal('call.failed'),
    callId,
    reason: z.enum(['agent_failed', 'agent_rejected']),
    code: z.string().optional(),
    message: z.string().optional(),
  }),
  /** The worker could not set up the call's media leg (chan_websocket connect or MEDIA_START failed). */
  z.object({ type: z.literal('call.mediaFailed'), callId, code: z.string(), message: z.string() }),
  /** The AudioSocket leg closed on its own (MediaLegCloseReason). */
  z.object({ type: z.literal('call.legClosed'), callId, reason: z.string() }),
  /**
   * The caller has sent no audio on the wire for `silentMs` (the dead-leg watchdog in the primary decides): sent
   * while that lasts, every `UPLINK_SILENCE_REPORT_MS`, and once with 0 when audio resumes after such a report.
   */
  z.object({ type: z.literal('call.uplinkSilence'), callId, silentMs: z.number().nonnegative() }),
  /** A lifecycle event to record on the call (media gaps and the like). */
  z.object({ type: z.literal('call.event'), callId, event: z.string(), at: z.string(), data: z.unknown() }),
  /** The agent asks for an action; answered with `call.actionDone`. */
  z.object({ type: z.literal('call.action'), callId, actionId: z.number().int(), action: agentAction }),
  /** The call's agent asks for a function call (tool) to run; answered with `tool.result`. */
  z.object({
    type: z.literal('tool.invoke'),
    callId,
    requestId: z.number().int(),
    toolCallId: z.string().min(1),
    name: z.string().min(1),
    arguments: z.unknown(),
  }),
  /** A finished transcript turn of the call's agent. */
  z.object({ type: z.literal('transcript.turn'), callId, turn: transcriptTurn }),
  /** Answer to `agent.speak`: the summary was spoken, or why not. */
  z.object({
    type: z.literal('agent.spoken'),
    callId,
    requestId: z.number().int(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
  /** Asks the call's owner to end the call (AMD: a machine hung up on, or its message left). */
  workerCallEndSchema,
  /** Answer to `call.close`: the media is released. Turn latency as measured by the worker's bridge. */
  z.object({ type: z.literal('call.closed'), callId, latency: z.unknown().optional() }),
  /** Answer to `call.openRtp`: the call's UDP socket is bound on `port`. */
  z.object({ type: z.literal('rtp.bound'), callId, port: z.number().int().min(1).max(65535) }),
  /** Answer to `call.openRtp`: no port could be bound (`RTP_PORTS_EXHAUSTED`: every port of the worker's range). */
  z.object({ type: z.literal('rtp.bindFailed'), callId, code: z.string(), message: z.string() }),
  /** Wait for the call's agent to connect in at the primary's HTTP server (see agent-wait-messages.ts). */
  agentWaitSchema,
  agentWaitCancelSchema,
]);
export type FromWorker = z.infer<typeof fromWorkerSchema>;
